// A GGUF file's hyper-parameters ({arch}.block_count, ...) and the Hugging Face
// config.json / generation_config.json made from them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gguf/gguf_arch.hpp"
#include "gguf/gguf_file.hpp"

namespace socrates::gguf {

struct HParams {
  std::int64_t vocab_size = 0;  // rows of token_embd
  std::int64_t hidden_size = 0;
  std::int64_t intermediate_size = 0;
  std::int64_t num_layers = 0;
  std::int64_t num_heads = 0;
  std::int64_t num_kv_heads = 0;
  std::int64_t head_dim = 0;
  std::int64_t context_length = 0;
  double rms_norm_eps = 0;
  double rope_theta = 10000.0;
  bool tie_word_embeddings = false;  // no output.weight
  std::optional<std::int64_t> bos_token_id, eos_token_id, pad_token_id;
  std::vector<std::int64_t> stop_token_ids;  // eos, then end-of-turn/end-of-message ids
};

/// Reads and checks the hyper-parameters. Throws socrates::Error naming the file and key
/// for a missing or inconsistent value, partial rotary embeddings, or rope scaling
/// (linear, yarn, Llama 3's rope_freqs), which the import does not carry over.
HParams read_hparams(const GgufFile& file, const Architecture& arch);

/// config.json text (transformers' layout for LlamaForCausalLM / Qwen2ForCausalLM).
/// `dtype` is "bfloat16", "float16" or "float32".
std::string hf_config_json(const HParams& hp, const Architecture& arch, const std::string& dtype);

/// generation_config.json text: bos, eos (with end-of-turn ids) and pad.
std::string hf_generation_config_json(const HParams& hp);

/// The shortest decimal that reads back as the same float32 (1e-05 for the float32 nearest
/// 1e-5), so that config.json shows the values the model was published with.
double shortest_float32(double v);

}  // namespace socrates::gguf
