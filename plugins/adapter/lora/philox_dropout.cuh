// The mask of lora's CUDA dropout, a pure function of (seed, offset, element index): element i
// of a contiguous tensor is kept when 16-bit draw i % 8 of Philox4x32-10 evaluation i / 8 is
// below round(65536 (1 - p)). One evaluation per 8 elements (ATen's dropout spends one per 4):
// the dropout kernel was bound by the Philox arithmetic, not by memory. dropout_cuda.cu and the
// fused GEMMs of dropout_gemm_cuda.cu draw it alike, so both paths drop the same values.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include <curand_kernel.h>

#include "dropout_cuda.hpp"

namespace lora::detail {

/// One dropout call's mask and scale, as the kernels take them.
struct DropParams {
  std::uint64_t seed = 0;
  std::uint64_t offset = 0;
  unsigned threshold = 0;  // kept when the 16-bit draw is below it, in [1, 65536]
  float scale = 1.0f;      // 1 / (1 - p)
};

inline DropParams drop_params(double p, PhiloxSeed s) {
  const double keep = std::round((1.0 - p) * 65536.0);
  return {s.seed, s.offset, static_cast<unsigned>(std::clamp(keep, 1.0, 65536.0)), static_cast<float>(1.0 / (1.0 - p))};
}

/// The 128 random bits of elements [8 group, 8 group + 8). The counter is laid out as curand's
/// (offset / 4 in x, y; the group in z, w); the generator hands every call its own offset, so
/// no other call draws these numbers.
__device__ __forceinline__ uint4 philox8(std::uint64_t group, const DropParams& d) {
  const std::uint64_t c = d.offset / 4;
  const uint4 ctr = make_uint4(static_cast<unsigned>(c), static_cast<unsigned>(c >> 32), static_cast<unsigned>(group),
                               static_cast<unsigned>(group >> 32));
  return curand_Philox4x32_10(ctr, make_uint2(static_cast<unsigned>(d.seed), static_cast<unsigned>(d.seed >> 32)));
}

/// Whether element e (0..7) of the group is kept.
__device__ __forceinline__ bool kept(const uint4& r, int e, unsigned threshold) {
  const unsigned w = e < 2 ? r.x : e < 4 ? r.y : e < 6 ? r.z : r.w;
  return ((e & 1) ? w >> 16 : w & 0xffffu) < threshold;
}

/// x dropped: x / (1 - p) computed in float and rounded to T once, or 0.
template <typename T>
__device__ __forceinline__ T drop(T x, bool keep, float scale) {
  return static_cast<T>(keep ? static_cast<float>(x) * scale : 0.0f);
}

/// acc + dropped as at::add of the dropped tensor: the sum in float, rounded once.
template <typename T>
__device__ __forceinline__ T add(T acc, T dropped) {
  return static_cast<T>(static_cast<float>(acc) + static_cast<float>(dropped));
}

/// One group's 8 elements in one (2-byte types) or two (float) 16-byte accesses.
template <typename T>
struct alignas(8 * sizeof(T)) Vec8 {
  T v[8];
};

}  // namespace lora::detail
