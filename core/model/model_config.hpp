// Decoder hyper-parameters read from a Hugging Face config.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <c10/core/ScalarType.h>

namespace socrates {

/// RoPE frequency scaling ("default" or Llama 3's "llama3").
struct RopeScaling {
  std::string type = "default";
  double factor = 1.0;
  double low_freq_factor = 1.0;
  double high_freq_factor = 4.0;
  std::int64_t original_max_position_embeddings = 8192;
};

struct ModelConfig {
  std::string architecture;  // "Qwen2ForCausalLM" or "LlamaForCausalLM"
  std::int64_t vocab_size = 0;
  std::int64_t hidden_size = 0;
  std::int64_t intermediate_size = 0;
  std::int64_t num_layers = 0;
  std::int64_t num_heads = 0;
  std::int64_t num_kv_heads = 0;
  std::int64_t head_dim = 0;
  std::int64_t max_position_embeddings = 0;
  double rms_norm_eps = 1e-6;
  double initializer_range = 0.02;  // std of random initial weights (CausalLM::random)
  // std of the random embedding (and untied LM head) alone; unset: initializer_range. Not a
  // transformers key: a tiny random model needs large embeddings (a 152k-token vocabulary
  // leaves no room for a confident logit otherwise) but layer weights near 1/sqrt(hidden)
  // (steeper random layers give nearly the same output for every prompt).
  std::optional<double> embedding_initializer_range;
  double rope_theta = 10000.0;
  RopeScaling rope_scaling;
  bool attention_bias = false;  // q/k/v biases (Qwen2: true)
  bool mlp_bias = false;
  bool tie_word_embeddings = false;
  std::vector<std::int64_t> eos_token_ids;  // from config.json and generation_config.json
  std::optional<std::int64_t> bos_token_id;
  std::optional<std::int64_t> pad_token_id;
  c10::ScalarType dtype = c10::kFloat;  // the checkpoint's dtype ("torch_dtype"/"dtype")

  /// Reads <dir>/config.json (and generation_config.json when present). Throws
  /// socrates::Error naming the file and key for a missing or malformed field, and for an
  /// unsupported architecture (listing the supported ones).
  static ModelConfig from_folder(const std::filesystem::path& dir);
  /// Parses config.json text; `origin` names it in errors.
  static ModelConfig from_json_text(const std::string& text, const std::string& origin);

  /// Parameters of the whole model (embeddings counted once when tied).
  std::int64_t num_parameters() const;
  /// Weights of one decoder layer's seven projections (q, k, v, o, gate, up, down).
  double linear_weights_per_layer() const;
  /// Forward FLOPs per token for a sequence of `seq_len` (matmuls + attention), for MFU.
  double flops_per_token(std::int64_t seq_len) const;
};

/// The architectures the runtime implements.
const std::vector<std::string>& supported_architectures();

}  // namespace socrates
