#include "gguf/gguf_config.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

namespace socrates::gguf {

using nlohmann::json;

double shortest_float32(double v) {
  const float target = static_cast<float>(v);
  char buf[64];
  for (int p = 1; p <= 9; ++p) {
    std::snprintf(buf, sizeof buf, "%.*g", p, static_cast<double>(target));
    if (static_cast<float>(std::strtod(buf, nullptr)) == target) return std::strtod(buf, nullptr);
  }
  return v;
}

HParams read_hparams(const GgufFile& f, const Architecture& arch) {
  const std::string a = arch.name + ".";
  auto positive = [&](const std::string& key, std::optional<std::int64_t> fallback = std::nullopt) {
    const auto v = fallback ? f.get_int_or(key).value_or(*fallback) : f.get_int(key);
    if (v <= 0) f.fail("metadata '" + key + "' must be positive, got " + std::to_string(v));
    return v;
  };
  HParams hp;
  hp.hidden_size = positive(a + "embedding_length");
  hp.intermediate_size = positive(a + "feed_forward_length");
  hp.num_layers = positive(a + "block_count");
  hp.num_heads = positive(a + "attention.head_count");
  hp.num_kv_heads = positive(a + "attention.head_count_kv", hp.num_heads);
  hp.context_length = positive(a + "context_length");
  if (hp.num_heads % hp.num_kv_heads != 0)
    f.fail("metadata '" + a + "attention.head_count_kv' (" + std::to_string(hp.num_kv_heads) +
           ") must divide attention.head_count (" + std::to_string(hp.num_heads) + ")");
  if (!f.find(a + "attention.key_length") && hp.hidden_size % hp.num_heads != 0)
    f.fail("metadata '" + a + "embedding_length' is not divisible by attention.head_count and there is no " + a +
           "attention.key_length");
  hp.head_dim = positive(a + "attention.key_length", hp.hidden_size / hp.num_heads);
  if (positive(a + "attention.value_length", hp.head_dim) != hp.head_dim)
    f.fail("metadata '" + a + "attention.value_length' differs from attention.key_length; not a " + arch.name + " model");
  if (hp.head_dim % 2 != 0) f.fail("the head size " + std::to_string(hp.head_dim) + " is odd; rotary embeddings need an even one");
  if (const auto rot = f.get_int_or(a + "rope.dimension_count"); rot && *rot != hp.head_dim)
    f.fail("metadata '" + a + "rope.dimension_count' is " + std::to_string(*rot) + " but the head size is " +
           std::to_string(hp.head_dim) + ": partial rotary embeddings are not supported");
  if (const auto s = f.get_string_or(a + "rope.scaling.type"); s && *s != "none")
    f.fail("metadata '" + a + "rope.scaling.type' is \"" + *s +
           "\": rope scaling is not carried over by the import (only unscaled rotary embeddings); use the model's "
           "Hugging Face folder instead");
  if (f.tensor("rope_freqs.weight"))
    f.fail("tensor 'rope_freqs.weight' holds Llama 3.1-style rope scaling factors, which the import does not carry "
           "over; use the model's Hugging Face folder instead");
  hp.rms_norm_eps = shortest_float32(f.get_number(a + "attention.layer_norm_rms_epsilon"));
  if (!(hp.rms_norm_eps > 0)) f.fail("metadata '" + a + "attention.layer_norm_rms_epsilon' must be positive");
  hp.rope_theta = shortest_float32(f.get_number_or(a + "rope.freq_base").value_or(10000.0));

  const TensorInfo* embd = f.tensor("token_embd.weight");
  if (!embd) f.fail("tensor 'token_embd.weight' is missing; the file is incomplete or not a " + arch.name + " model");
  if (embd->dims.size() != 2 || embd->dims[0] != static_cast<std::uint64_t>(hp.hidden_size))
    f.fail("tensor 'token_embd.weight' has dims " + embd->dims_string() + " but embedding_length is " +
           std::to_string(hp.hidden_size));
  hp.vocab_size = static_cast<std::int64_t>(embd->dims[1]);
  if (const auto v = f.get_int_or(a + "vocab_size"); v && *v != hp.vocab_size)
    f.fail("metadata '" + a + "vocab_size' is " + std::to_string(*v) + " but token_embd.weight has " +
           std::to_string(hp.vocab_size) + " rows");
  hp.tie_word_embeddings = f.tensor("output.weight") == nullptr;

  auto token_id = [&](const char* key) -> std::optional<std::int64_t> {
    const auto id = f.get_int_or(std::string("tokenizer.ggml.") + key);
    if (id && (*id < 0 || *id >= hp.vocab_size))
      f.fail(std::string("metadata 'tokenizer.ggml.") + key + "' is " + std::to_string(*id) +
             ", outside the vocabulary of " + std::to_string(hp.vocab_size));
    return id;
  };
  hp.bos_token_id = token_id("bos_token_id");
  hp.eos_token_id = token_id("eos_token_id");
  hp.pad_token_id = token_id("padding_token_id");
  for (const char* key : {"eos_token_id", "eot_token_id", "eom_token_id"}) {
    const auto id = token_id(key);
    if (id && std::find(hp.stop_token_ids.begin(), hp.stop_token_ids.end(), *id) == hp.stop_token_ids.end())
      hp.stop_token_ids.push_back(*id);
  }
  return hp;
}

namespace {
json optional_id(const std::optional<std::int64_t>& id) { return id ? json(*id) : json(nullptr); }
}  // namespace

std::string hf_config_json(const HParams& hp, const Architecture& arch, const std::string& dtype) {
  json c = {
      {"architectures", {arch.hf_class}},
      {"attention_bias", arch.attention_bias},
      {"attention_dropout", 0.0},
      {"bos_token_id", optional_id(hp.bos_token_id)},
      {"eos_token_id", optional_id(hp.eos_token_id)},
      {"head_dim", hp.head_dim},
      {"hidden_act", "silu"},
      {"hidden_size", hp.hidden_size},
      {"intermediate_size", hp.intermediate_size},
      {"max_position_embeddings", hp.context_length},
      {"model_type", arch.model_type},
      {"num_attention_heads", hp.num_heads},
      {"num_hidden_layers", hp.num_layers},
      {"num_key_value_heads", hp.num_kv_heads},
      {"rms_norm_eps", hp.rms_norm_eps},
      {"rope_scaling", nullptr},
      {"rope_theta", hp.rope_theta},
      {"tie_word_embeddings", hp.tie_word_embeddings},
      {"torch_dtype", dtype},
      {"use_cache", true},
      {"vocab_size", hp.vocab_size},
  };
  if (hp.pad_token_id) c["pad_token_id"] = *hp.pad_token_id;
  if (arch.name == "llama") c["mlp_bias"] = false;
  if (arch.name == "qwen2") {
    c["use_sliding_window"] = false;
    c["sliding_window"] = hp.context_length;
    c["max_window_layers"] = hp.num_layers;
  }
  return c.dump(2) + "\n";
}

std::string hf_generation_config_json(const HParams& hp) {
  json g = json::object();
  if (hp.bos_token_id) g["bos_token_id"] = *hp.bos_token_id;
  if (hp.stop_token_ids.size() == 1) g["eos_token_id"] = hp.stop_token_ids[0];
  if (hp.stop_token_ids.size() > 1) g["eos_token_id"] = hp.stop_token_ids;
  if (hp.pad_token_id) g["pad_token_id"] = *hp.pad_token_id;
  return g.dump(2) + "\n";
}

}  // namespace socrates::gguf
