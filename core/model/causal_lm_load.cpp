// CausalLM::load: weights from a Hugging Face folder, tensor by tensor onto the device;
// decoder linears quantised to 4 bits as they arrive, or read in bitsandbytes' 4-bit layout.
#include <set>

#include <ATen/core/Tensor.h>
#include <ATen/ops/isfinite.h>
#include <ATen/ops/isinf.h>
#include <ATen/ops/isnan.h>

#include "io/safetensors_model.hpp"
#include "log/logging.hpp"
#include "model/causal_lm.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {

/// The saved pieces of a 4-bit weight `name` (name, name.absmax, ...), on the CPU.
std::map<std::string, at::Tensor> saved_4bit_pieces(const SafetensorsModel& st, const std::vector<std::string>& names,
                                                    const std::string& name) {
  std::map<std::string, at::Tensor> out;
  const std::string prefix = name + ".";
  for (auto it = std::lower_bound(names.begin(), names.end(), prefix); it != names.end() && it->starts_with(prefix); ++it)
    out.emplace(*it, st.load(*it));
  out.emplace(name, st.load(name));
  return out;
}

// Throws when a loaded weight holds NaN or infinite values: a corrupt file, a checkpoint saved
// after training diverged, or values too large for the dtype they were converted to.
void check_finite(const at::Tensor& t, const std::string& name, const fs::path& file, c10::ScalarType dt) {
  if (!t.is_floating_point() || at::isfinite(t).all().item<bool>()) return;
  const auto nans = at::isnan(t).sum().item<std::int64_t>(), infs = at::isinf(t).sum().item<std::int64_t>();
  throw Error(file.string() + ": tensor '" + name + "' holds " + std::to_string(nans) + " NaN and " +
              std::to_string(infs) + " infinite values (as " + std::string(c10::toString(dt)) +
              "). The checkpoint is corrupt, was saved after training diverged, or has values too large for this "
              "dtype; use another checkpoint (or --dtype float32 / [model] dtype = \"float32\")");
}

}  // namespace

std::unique_ptr<CausalLM> CausalLM::load(const fs::path& dir, c10::Device device, std::optional<c10::ScalarType> dtype,
                                         const std::optional<quant::QuantOptions>& quantize) {
  ModelConfig c = ModelConfig::from_folder(dir);
  const SafetensorsModel st = SafetensorsModel::open(dir);
  const std::vector<std::string> names = st.names();
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
    at::Tensor t = st.load(name, device, dt);
    check_finite(t, name, st.shard_of(name), dt);
    return t;
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

  // Decoder linears: 4-bit as saved, quantised here, or dense. One shared dequantisation buffer.
  auto buffer = std::make_shared<DequantBuffer>();
  bool warned = false;
  auto linear = [&](const std::string& site, std::int64_t out, std::int64_t in, bool bias) -> std::unique_ptr<Linear> {
    const std::string w = "model." + site + ".weight";
    at::Tensor b = bias ? get("model." + site + ".bias", {out}) : at::Tensor();
    const bool saved_4bit = st.has(w + "." + quant::quant_state_suffix(quant::QuantType::NF4)) ||
                            st.has(w + "." + quant::quant_state_suffix(quant::QuantType::FP4));
    if (!saved_4bit && st.has(w) && !c10::isFloatingType(st.info(w).dtype))
      throw Error(st.shard_of(w).string() + ": tensor '" + w + "' is stored as " + dtype_string(st.info(w).dtype) +
                  " without a 4-bit quant_state: it is quantised some other way (e.g. bitsandbytes 8-bit). Socrates "
                  "reads dense checkpoints and bitsandbytes 4-bit (nf4, fp4) ones; save the model in 16/32-bit or 4-bit");
    if (!saved_4bit && !quantize) return std::make_unique<Linear>(site, get(w, {out, in}), b);
    quant::Nf4Tensor q;
    if (saved_4bit) {
      const auto pieces = saved_4bit_pieces(st, names, w);
      for (const auto& [k, _] : pieces) used.insert(k);
      q = quant::from_state_dict(w, pieces, st.shard_of(w).string());
      if (q.shape != std::vector<std::int64_t>{out, in})
        throw Error(st.shard_of(w).string() + ": 4-bit tensor '" + w + "' has shape " + c10::str(q.shape) +
                    " in its quant_state but config.json implies [" + std::to_string(out) + ", " + std::to_string(in) + "]");
      if (quantize && !quant::has_format(q, *quantize) && !warned) {
        host_logger()->warn("{}: the checkpoint is saved as {} (blocksize {}{}); it is used as saved, not re-quantised",
                            dir.string(), quant::to_string(q.quant_type), q.blocksize,
                            q.nested() ? ", double quantisation" : "");
        warned = true;
      }
      q = q.to(device);
    } else {
      q = quant::quantize_4bit(get(w, {out, in}), *quantize);  // the dense tensor is freed right here
    }
    auto base = std::make_shared<Linear4bit>(std::move(q), b, buffer);
    return std::make_unique<Linear>(site, out, in, b, std::move(base));
  };
  m->build_layers(get, linear);
  for (const std::string& n : names)
    if (!used.count(n)) host_logger()->debug("{}: ignoring tensor '{}'", dir.string(), n);
  return m;
}

}  // namespace socrates
