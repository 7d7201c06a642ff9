// A LoRA layer's A product and its two gradients under CUDA's seed-drawn dropout, shared by
// LoraAddFn (lora_add.cpp) and dropout_linear: the fused kernels of dropout_gemm_cuda.cu where
// they take the tensors and `fused` is on, else the dropout kernel and cuBLAS. Both paths draw
// the same mask from (seed, offset) and differ only in the order of the sums.
#pragma once

#if SOCRATES_LORA_CUDA

#include <ATen/core/Tensor.h>
#include <torch/csrc/autograd/custom_function.h>

#include "dropout_cuda.hpp"

namespace lora {

struct SeedDropout {
  double p = 0.0;
  PhiloxSeed seed;
  bool fused = false;

  /// A new mask: one draw from x's device generator.
  static SeedDropout draw(const at::Tensor& x, double p, bool fused);
  /// The mask a forward saved with save(ctx).
  static SeedDropout saved(torch::autograd::AutogradContext* ctx);
  void save(torch::autograd::AutogradContext* ctx) const;

  /// dropout(x) aᵀ, [n, r]; x [n, in], a [r, in].
  at::Tensor a_product(const at::Tensor& x, const at::Tensor& a) const;
  /// guᵀ dropout(x), A's gradient [r, in]; gu [n, r].
  at::Tensor a_grad(const at::Tensor& gu, const at::Tensor& x) const;
  /// x's gradient dropout(gu a): added into `sum` when it is defined (then a contiguous tensor
  /// of the gradient's shape and dtype), else assigned to it.
  void x_grad_into(at::Tensor& sum, const at::Tensor& gu, const at::Tensor& a) const;
};

}  // namespace lora

#endif
