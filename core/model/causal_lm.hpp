// The decoder-only causal LM (Qwen2 and Llama): embedding, N blocks of RMSNorm + GQA
// attention with RoPE + SwiGLU MLP, final norm and LM head. Plain at:: ops; frozen weights.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "model/kv_cache.hpp"
#include "model/linear.hpp"
#include "model/model_config.hpp"
#include "socrates/model.hpp"

namespace socrates {

struct DecoderLayer {
  at::Tensor input_norm;  // [hidden]
  at::Tensor post_norm;
  std::unique_ptr<Linear> q, k, v, o, gate, up, down;
};

struct ForwardOptions {
  at::Tensor positions;   // [B, T] int64; default: cache length + arange(T)
  at::Tensor key_valid;   // [B, S] bool over all keys (cache + new); undefined = no padding
  KVCache* cache = nullptr;
};

class CausalLM final : public ModelView {
 public:
  /// Loads a Hugging Face folder (config.json + safetensors) onto `device` in `dtype`
  /// (default: the checkpoint's). Throws socrates::Error naming the folder/file/tensor.
  static std::unique_ptr<CausalLM> load(const std::filesystem::path& dir, c10::Device device,
                                        std::optional<c10::ScalarType> dtype = std::nullopt);
  /// Random weights (normal(0, initializer_range), norms 1, biases 0) from a seed: tests, quickstart, benchmarks.
  static std::unique_ptr<CausalLM> random(const ModelConfig& config, c10::Device device, c10::ScalarType dtype,
                                          std::uint64_t seed);

  /// Final hidden states [B, T, hidden] (after the last norm) for `input_ids` [B, T].
  at::Tensor forward(const at::Tensor& input_ids, const ForwardOptions& opts = {}) const;
  /// Logits [..., vocab] for hidden states [..., hidden].
  at::Tensor logits(const at::Tensor& hidden) const;

  /// An empty cache for `batch` sequences of up to `capacity` positions.
  KVCache make_cache(std::int64_t batch, std::int64_t capacity) const;

  /// Every base weight, named as in Hugging Face checkpoints ("model.layers.0.mlp.up_proj.weight").
  std::vector<std::pair<std::string, at::Tensor>> base_parameters() const;
  /// Makes every base weight trainable (full fine-tuning, benchmarks) or frozen (default).
  void set_base_requires_grad(bool on);

  /// Recompute each decoder layer in backward instead of keeping its activations.
  void set_gradient_checkpointing(bool on) { checkpointing_ = on; }
  bool gradient_checkpointing() const { return checkpointing_; }

  const ModelConfig& config() const { return config_; }
  std::string architecture() const override { return config_.architecture; }
  std::vector<LinearSite*> linear_sites() override;
  c10::ScalarType dtype() const override { return dtype_; }
  c10::Device device() const override { return device_; }

  /// One decoder block; public for gradient checkpointing.
  at::Tensor layer_forward(std::size_t i, const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin,
                           const at::Tensor& mask, KVCache* cache) const;

 private:
  CausalLM(ModelConfig c, c10::Device device, c10::ScalarType dtype);
  /// Builds every decoder layer from `tensor(name, shape)`, which returns the weight named
  /// as in Hugging Face checkpoints ("model.layers.0.mlp.up_proj.weight").
  void build_layers(const std::function<at::Tensor(const std::string&, std::vector<std::int64_t>)>& tensor);
  at::Tensor attention(const DecoderLayer& l, std::size_t index, const at::Tensor& x, const at::Tensor& cos,
                       const at::Tensor& sin, const at::Tensor& mask, KVCache* cache) const;
  at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& w) const;

  ModelConfig config_;
  c10::Device device_;
  c10::ScalarType dtype_;
  at::Tensor embed_;    // [vocab, hidden]
  at::Tensor norm_;     // [hidden]
  at::Tensor lm_head_;  // [vocab, hidden]; the embedding when tied
  at::Tensor inv_freq_;
  std::vector<DecoderLayer> layers_;
  bool checkpointing_ = false;
};

}  // namespace socrates
