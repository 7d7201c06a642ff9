// RMSNorm's weight over the rows (row_scale.hpp). Built without --use_fast_math (PRECISE):
// each value is T(float(x) * float(w)), the multiply ATen's bf16/fp16/fp32 kernels compute.
#include <cstdint>

#include <ATen/cuda/CUDAContext.h>
#include <ATen/ops/empty_like.h>
#include <c10/cuda/CUDAGuard.h>

#include "model/cuda_launch.cuh"
#include "model/row_scale.hpp"
#include "socrates/error.hpp"

namespace socrates::detail {

namespace {

template <typename T>
__device__ __forceinline__ T mul(T a, T b) {
  return static_cast<T>(static_cast<float>(a) * static_cast<float>(b));
}

// Rows of row_packs packs: pack i takes the weight's pack i % row_packs.
template <typename T>
__global__ void scale_vec(const Pack<T>* x, const Pack<T>* w, Pack<T>* out, std::int64_t packs,
                          std::int64_t row_packs) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < packs;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    const Pack<T> a = x[i], b = w[i % row_packs];
    Pack<T> o;
#pragma unroll
    for (int k = 0; k < Pack<T>::N; ++k) o.v[k] = mul(b.v[k], a.v[k]);
    out[i] = o;
  }
}

template <typename T>
__global__ void scale_scalar(const T* x, const T* w, T* out, std::int64_t n, std::int64_t h) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x)
    out[i] = mul(w[i % h], x[i]);
}

}  // namespace

at::Tensor row_scale_cuda(const at::Tensor& x, const at::Tensor& w) {
  if (!row_scale_fused(x, w.detach()))
    throw Error("row_scale: x must be a contiguous CUDA tensor and w a vector of its last size and dtype");
  const c10::cuda::CUDAGuard guard(x.device());
  at::Tensor out = at::empty_like(x);
  const std::int64_t n = x.numel(), h = w.numel();
  if (n == 0) return out;
  auto stream = at::cuda::getCurrentCUDAStream();
  dispatch_floating(x.scalar_type(), "row_scale", [&](auto tag) {
    using T = decltype(tag);
    const auto* xp = static_cast<const T*>(x.data_ptr());
    const auto* wp = static_cast<const T*>(w.data_ptr());
    auto* o = static_cast<T*>(out.data_ptr());
    constexpr int N = Pack<T>::N;
    if (h % N == 0 && aligned16({&x, &w, &out})) {
      scale_vec<T><<<grid_blocks(n / N), kThreads, 0, stream>>>(reinterpret_cast<const Pack<T>*>(xp),
                                                                 reinterpret_cast<const Pack<T>*>(wp),
                                                                 reinterpret_cast<Pack<T>*>(o), n / N, h / N);
    } else {
      scale_scalar<T><<<grid_blocks(n), kThreads, 0, stream>>>(xp, wp, o, n, h);
    }
  });
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return out;
}

}  // namespace socrates::detail
