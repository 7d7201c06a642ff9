// Rotary position embeddings (rotate-half convention, as in Hugging Face Qwen2/Llama).
#pragma once

#include <ATen/core/Tensor.h>

#include "model/model_config.hpp"

namespace socrates {

/// inv_freq [head_dim/2] in float32, with Llama 3 scaling applied when configured.
at::Tensor rope_inv_freq(const ModelConfig& c);

/// cos and sin [B, T, head_dim] in `dtype` for integer `positions` [B, T].
std::pair<at::Tensor, at::Tensor> rope_cos_sin(const at::Tensor& inv_freq, const at::Tensor& positions,
                                               c10::ScalarType dtype);

/// x * cos + rotate_half(x) * sin for x [B, H, T, D] and cos/sin [B, T, D]. On CUDA one fused
/// kernel forward and one backward, with the unfused path's roundings (rope_fused), unless
/// `allow_fused` is false.
at::Tensor apply_rope(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin, bool allow_fused = true);

/// Whether apply_rope() takes the fused kernels: CUDA, one float dtype, cos/sin [1 or B, T, D]
/// without a gradient.
bool rope_fused(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

namespace detail {
/// The rotation (backward = false) or its transpose, the backward's (backward = true).
at::Tensor rope_cuda(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin, bool backward);
}  // namespace detail

}  // namespace socrates
