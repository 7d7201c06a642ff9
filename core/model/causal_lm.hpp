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
#include "model/linear_4bit.hpp"
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
  at::Tensor attn_mask;   // [B, 1, T, S] bool, true = may attend; replaces the causal/key_valid mask
  KVCache* cache = nullptr;
};

/// Whether SDPA may use cuDNN's attention kernels on CUDA (process-wide). A CUDA model turns
/// them off when it is made ([model] cudnn_attention turns them back on): cuDNN plans every new
/// sequence length on the host, which costs more than it saves on batches of varying length.
void use_cudnn_attention(bool on);

class CausalLM final : public ModelView {
 public:
  /// Loads a Hugging Face folder (config.json + safetensors) onto `device` in `dtype`
  /// (default: the checkpoint's). Throws socrates::Error naming the folder/file/tensor.
  /// With `quantize`, the decoder's linear weights are quantised to 4 bits as they load, one
  /// tensor at a time on `device`. Weights saved in 4 bits (transformers + bitsandbytes) load
  /// as they are, with or without `quantize`.
  static std::unique_ptr<CausalLM> load(const std::filesystem::path& dir, c10::Device device,
                                        std::optional<c10::ScalarType> dtype = std::nullopt,
                                        const std::optional<quant::QuantOptions>& quantize = std::nullopt);
  /// Random weights (normal(0, initializer_range); the embedding and an untied LM head normal(0,
  /// embedding_initializer_range) when the config sets it; norms 1, biases 0) from a seed: tests,
  /// quickstart, benchmarks.
  static std::unique_ptr<CausalLM> random(const ModelConfig& config, c10::Device device, c10::ScalarType dtype,
                                          std::uint64_t seed,
                                          const std::optional<quant::QuantOptions>& quantize = std::nullopt);

  /// Final hidden states [B, T, hidden] (after the last norm) for `input_ids` [B, T].
  at::Tensor forward(const at::Tensor& input_ids, const ForwardOptions& opts = {}) const;
  /// Logits [..., vocab] for hidden states [..., hidden].
  at::Tensor logits(const at::Tensor& hidden) const;
  /// The LM head's weight [vocab, hidden] (the embedding when tied).
  const at::Tensor& lm_head_weight() const { return lm_head_; }

  /// An empty cache for `batch` sequences of up to `capacity` positions.
  KVCache make_cache(std::int64_t batch, std::int64_t capacity) const;

  /// Every dense base weight, named as in Hugging Face checkpoints ("model.layers.0.mlp.up_proj.weight");
  /// 4-bit weights are not listed.
  std::vector<std::pair<std::string, at::Tensor>> base_parameters() const;
  /// Every base weight as a checkpoint stores it, in `dtype`: dense, or with `quantize` the
  /// decoder's linear weights in bitsandbytes' 4-bit layout (weight, weight.absmax, ...).
  /// 4-bit weights are dequantised for a dense export and kept as they are when `quantize`
  /// matches how they are stored.
  std::vector<std::pair<std::string, at::Tensor>> export_tensors(
      c10::ScalarType dtype, const std::optional<quant::QuantOptions>& quantize = std::nullopt) const;
  /// Whether any decoder linear weight is stored in 4 bits.
  bool quantized() const;
  /// Makes every base weight trainable (full fine-tuning, benchmarks) or frozen (default).
  void set_base_requires_grad(bool on);

  /// Recompute each decoder layer in backward instead of keeping its activations.
  /// Recompute decoder layers in backward instead of keeping their activations: with
  /// `layers` >= 0 only the first `layers` of them (selective recompute), else all.
  /// Fused CUDA kernels for SwiGLU and RoPE where they apply (default), or the ATen ops.
  void set_fused_kernels(bool on) { fused_kernels_ = on; }
  void set_gradient_checkpointing(bool on, std::int64_t layers = -1) {
    checkpointing_ = on;
    checkpoint_layers_ = layers;
  }
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
  /// `linear(site, out, in, bias)`, when given, builds each linear layer instead (4-bit bases).
  using TensorFn = std::function<at::Tensor(const std::string&, std::vector<std::int64_t>)>;
  using LinearFn = std::function<std::unique_ptr<Linear>(const std::string&, std::int64_t, std::int64_t, bool)>;
  void build_layers(const TensorFn& tensor, const LinearFn& linear = {});
  at::Tensor attention(const DecoderLayer& l, std::size_t index, const at::Tensor& x, const at::Tensor& cos,
                       const at::Tensor& sin, const at::Tensor& mask, KVCache* cache) const;
  at::Tensor rms_norm(const at::Tensor& x, const at::Tensor& w) const;

  ModelConfig config_;
  c10::Device device_;
  c10::ScalarType dtype_;
  at::Tensor embed_;    // [vocab, hidden]
  at::Tensor norm_;     // [hidden]
  at::Tensor lm_head_;  // [vocab, hidden]; the embedding when tied
  at::Tensor inv_freq_;  // on device_: a host tensor would be copied, and the stream waited on, every forward
  std::vector<DecoderLayer> layers_;
  bool checkpointing_ = false;
  std::int64_t checkpoint_layers_ = -1;  // -1: all
  bool fused_kernels_ = true;
};

}  // namespace socrates
