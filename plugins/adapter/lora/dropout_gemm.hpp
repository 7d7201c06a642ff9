// The LoRA A product and its two gradients with the dropout inside the GEMM (dropout_gemm_cuda.cu):
// the tile of x is dropped as it is loaded, the x-gradient's tile as it is stored, so neither a
// dropped copy of x nor of the gradient is written and read again. Tensor cores (WMMA),
// bfloat16/float16, the mask of dropout_philox under the same seed.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

#include "dropout_cuda.hpp"

namespace lora {

/// How many times this library's dropped_mm, mm_t_dropped and mm_dropped ran (for tests).
std::int64_t dropout_gemm_calls();

/// Whether the fused kernels take an x-like [n, k] operand of t's dtype and device with an A of
/// `rank` rows: t on CUDA in bfloat16 or float16, k a multiple of 8 below 2^22, 1 <= rank <= 128.
bool dropout_gemm_supported(const at::Tensor& t, std::int64_t k, std::int64_t rank);

/// Whether mm_dropped adds into `acc`: a contiguous, 16-byte aligned [n, k] tensor of a's dtype
/// and device (a [rank, k]).
bool dropout_gemm_sum_ok(const at::Tensor& acc, std::int64_t n, const at::Tensor& a);

/// dropout(x) aᵀ, [n, rank]; x [n, k], a [rank, k], one dtype.
at::Tensor dropped_mm(const at::Tensor& x, const at::Tensor& a, double p, PhiloxSeed s);

/// gᵀ dropout(x), [rank, k]; g [n, rank], x [n, k].
at::Tensor mm_t_dropped(const at::Tensor& g, const at::Tensor& x, double p, PhiloxSeed s);

/// dropout(g a), [n, k], the product rounded to the dtype before the dropout as at::mm rounds it;
/// g [n, rank], a [rank, k]. With `acc` (contiguous, [n, k], 16-byte aligned): acc += it in
/// place, as dropout_philox_add_ adds, and acc is returned.
at::Tensor mm_dropped(const at::Tensor& g, const at::Tensor& a, double p, PhiloxSeed s,
                      const at::Tensor& acc = at::Tensor());

}  // namespace lora
