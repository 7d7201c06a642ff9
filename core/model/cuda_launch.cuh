// Launch helpers shared by the model's CUDA kernels (swiglu_cuda.cu, rope_cuda.cu, row_scale_cuda.cu).
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>

#include <ATen/cuda/CUDAContext.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include "socrates/error.hpp"

namespace socrates::detail {

constexpr int kThreads = 256;

/// Blocks of kThreads for `work` items in a grid-stride loop: enough to fill the device
/// (16 blocks per SM), no more than the work needs.
inline unsigned grid_blocks(std::int64_t work) {
  const std::int64_t cap = std::int64_t{at::cuda::getCurrentDeviceProperties()->multiProcessorCount} * 16;
  return static_cast<unsigned>(std::max<std::int64_t>(1, std::min(cap, (work + kThreads - 1) / kThreads)));
}

/// N elements of T in one 16-byte load or store.
template <typename T>
struct alignas(16) Pack {
  static constexpr int N = 16 / sizeof(T);
  T v[N];
};

/// Whether every tensor's data starts on a 16-byte boundary (the Pack path).
inline bool aligned16(std::initializer_list<const at::Tensor*> ts) {
  for (const at::Tensor* t : ts)
    if (reinterpret_cast<std::uintptr_t>(t->data_ptr()) % 16 != 0) return false;
  return true;
}

/// Calls f(T{}) with T the C++ type of `t` (float32, bfloat16 or float16); throws naming `what`
/// for any other dtype.
template <typename F>
void dispatch_floating(at::ScalarType t, const char* what, F&& f) {
  switch (t) {
    case at::kFloat: f(float{}); break;
    case at::kBFloat16: f(c10::BFloat16{}); break;
    case at::kHalf: f(c10::Half{}); break;
    default: throw Error(std::string(what) + ": CUDA kernels take float32, bfloat16 or float16");
  }
}

}  // namespace socrates::detail
