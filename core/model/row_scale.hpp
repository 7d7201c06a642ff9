// w * x with w [H] over the rows of x [..., H]: RMSNorm's weight after the normalisation, as
// transformers applies it (normalise, round to x's dtype, then scale). On CUDA one vectorised
// kernel forward and one backward with the same roundings as ATen's broadcasting multiply,
// which runs its slower strided kernel for a broadcast operand.
#pragma once

#include <ATen/core/Tensor.h>

namespace socrates {

/// w * x. Fused on CUDA for a contiguous float32/bf16/fp16 x and a frozen w of x's dtype and
/// last size unless `allow_fused` is false; otherwise (the CPU, a trainable w) ATen's w * x.
at::Tensor row_scale(const at::Tensor& x, const at::Tensor& w, bool allow_fused = true);

/// Whether row_scale() takes the fused kernel for these inputs.
bool row_scale_fused(const at::Tensor& x, const at::Tensor& w);

namespace detail {
at::Tensor row_scale_cuda(const at::Tensor& x, const at::Tensor& w);
}  // namespace detail

}  // namespace socrates
