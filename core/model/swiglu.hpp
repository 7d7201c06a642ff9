// SwiGLU, silu(gate) * up: the MLP's activation. On CUDA one kernel forward and one backward
// (the unfused path runs two forward, three backward and keeps silu(gate) for backward), with
// the unfused path's roundings, so that both give the same bits.
#pragma once

#include <ATen/core/Tensor.h>

namespace socrates {

/// silu(gate) * up. Fused on CUDA for contiguous float32/bf16/fp16 inputs of one shape and
/// dtype unless `allow_fused` is false; otherwise (the CPU) at::silu(gate) * up.
at::Tensor swiglu(const at::Tensor& gate, const at::Tensor& up, bool allow_fused = true);

/// Whether swiglu() takes the fused kernels for these inputs.
bool swiglu_fused(const at::Tensor& gate, const at::Tensor& up);

namespace detail {
at::Tensor swiglu_forward_cuda(const at::Tensor& gate, const at::Tensor& up);
/// {d gate, d up} for the output gradient `grad`.
std::pair<at::Tensor, at::Tensor> swiglu_backward_cuda(const at::Tensor& grad, const at::Tensor& gate,
                                                       const at::Tensor& up);
}  // namespace detail

}  // namespace socrates
