// CausalLM::load: weights from a Hugging Face folder, tensor by tensor onto the device.
#include <set>

#include "io/safetensors_model.hpp"
#include "log/logging.hpp"
#include "model/causal_lm.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

std::unique_ptr<CausalLM> CausalLM::load(const fs::path& dir, c10::Device device,
                                         std::optional<c10::ScalarType> dtype) {
  ModelConfig c = ModelConfig::from_folder(dir);
  const SafetensorsModel st = SafetensorsModel::open(dir);
  const c10::ScalarType dt = dtype.value_or(c.dtype);
  std::unique_ptr<CausalLM> m(new CausalLM(c, device, dt));
  std::set<std::string> used;

  auto get = [&](const std::string& name, std::vector<std::int64_t> shape) {
    if (!st.has(name)) {
      throw Error(dir.string() + ": tensor '" + name + "' is missing (a " + c.architecture + " checkpoint with " +
                  std::to_string(c.num_layers) + " layers needs it); is the download complete?");
    }
    const TensorInfo& info = st.info(name);
    if (info.shape != shape) {
      throw Error(st.shard_of(name).string() + ": tensor '" + name + "' has shape " + c10::str(info.shape) +
                  " but config.json implies " + c10::str(shape));
    }
    used.insert(name);
    return st.load(name, device, dt);
  };
  const std::int64_t h = c.hidden_size;
  m->embed_ = get("model.embed_tokens.weight", {c.vocab_size, h});
  m->norm_ = get("model.norm.weight", {h});
  if (c.tie_word_embeddings || !st.has("lm_head.weight")) {
    if (!c.tie_word_embeddings) {
      throw Error(dir.string() + ": tensor 'lm_head.weight' is missing and tie_word_embeddings is false");
    }
    m->lm_head_ = m->embed_;
  } else {
    m->lm_head_ = get("lm_head.weight", {c.vocab_size, h});
  }
  m->build_layers(get);
  for (const std::string& n : st.names())
    if (!used.count(n)) host_logger()->debug("{}: ignoring tensor '{}'", dir.string(), n);
  return m;
}

}  // namespace socrates
