// SwiGLU kernels. Built without --use_fast_math (PRECISE): each value is computed with the
// expressions and roundings of the unfused path (at::silu, then a multiply; autograd's
// mul and silu backward), so the results are bit-identical to it.
#include <cstdint>

#include <ATen/cuda/CUDAContext.h>
#include <ATen/ops/empty_like.h>
#include <c10/cuda/CUDAGuard.h>

#include "model/cuda_launch.cuh"
#include "model/swiglu.hpp"
#include "socrates/error.hpp"

namespace socrates::detail {

namespace {

__device__ __forceinline__ float sig(float x) {
  return 1.0f / (1.0f + expf(-x));
}

// out = T(T(silu(g)) * u)
template <typename T>
__device__ __forceinline__ T fwd(T g, T u) {
  const float x = static_cast<float>(g);
  const T s = static_cast<T>(x / (1.0f + expf(-x)));
  return static_cast<T>(static_cast<float>(s) * static_cast<float>(u));
}

// du = T(dy * T(silu(g))); dg = silu'(g) * T(dy * u)
template <typename T>
__device__ __forceinline__ void bwd(T dy, T g, T u, T& dg, T& du) {
  const float x = static_cast<float>(g), d = static_cast<float>(dy);
  const T s = static_cast<T>(x / (1.0f + expf(-x)));
  du = static_cast<T>(d * static_cast<float>(s));
  const float ds = static_cast<float>(static_cast<T>(d * static_cast<float>(u)));
  const float sg = sig(x);
  dg = static_cast<T>(ds * sg * (1.0f + x * (1.0f - sg)));
}

template <typename T>
__global__ void fwd_vec(const Pack<T>* g, const Pack<T>* u, Pack<T>* out, std::int64_t packs) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < packs;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    const Pack<T> a = g[i], b = u[i];
    Pack<T> o;
#pragma unroll
    for (int k = 0; k < Pack<T>::N; ++k) o.v[k] = fwd(a.v[k], b.v[k]);
    out[i] = o;
  }
}

template <typename T>
__global__ void fwd_scalar(const T* g, const T* u, T* out, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x)
    out[i] = fwd(g[i], u[i]);
}

template <typename T>
__global__ void bwd_vec(const Pack<T>* dy, const Pack<T>* g, const Pack<T>* u, Pack<T>* dg, Pack<T>* du,
                        std::int64_t packs) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < packs;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    const Pack<T> a = dy[i], b = g[i], c = u[i];
    Pack<T> x, y;
#pragma unroll
    for (int k = 0; k < Pack<T>::N; ++k) bwd(a.v[k], b.v[k], c.v[k], x.v[k], y.v[k]);
    dg[i] = x;
    du[i] = y;
  }
}

template <typename T>
__global__ void bwd_scalar(const T* dy, const T* g, const T* u, T* dg, T* du, std::int64_t n) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < n;
       i += std::int64_t{gridDim.x} * blockDim.x)
    bwd(dy[i], g[i], u[i], dg[i], du[i]);
}

}  // namespace

at::Tensor swiglu_forward_cuda(const at::Tensor& gate, const at::Tensor& up) {
  const c10::cuda::CUDAGuard guard(gate.device());
  at::Tensor out = at::empty_like(gate);
  const std::int64_t n = gate.numel();
  if (n == 0) return out;
  auto stream = at::cuda::getCurrentCUDAStream();
  dispatch_floating(gate.scalar_type(), "swiglu", [&](auto tag) {
    using T = decltype(tag);
    const auto* g = static_cast<const T*>(gate.data_ptr());
    const auto* u = static_cast<const T*>(up.data_ptr());
    auto* o = static_cast<T*>(out.data_ptr());
    constexpr int N = Pack<T>::N;
    if (n % N == 0 && aligned16({&gate, &up, &out})) {
      fwd_vec<T><<<grid_blocks(n / N), kThreads, 0, stream>>>(reinterpret_cast<const Pack<T>*>(g),
                                                              reinterpret_cast<const Pack<T>*>(u),
                                                              reinterpret_cast<Pack<T>*>(o), n / N);
    } else {
      fwd_scalar<T><<<grid_blocks(n), kThreads, 0, stream>>>(g, u, o, n);
    }
  });
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return out;
}

std::pair<at::Tensor, at::Tensor> swiglu_backward_cuda(const at::Tensor& grad, const at::Tensor& gate,
                                                       const at::Tensor& up) {
  const c10::cuda::CUDAGuard guard(gate.device());
  at::Tensor dgate = at::empty_like(gate), dup = at::empty_like(up);
  const std::int64_t n = gate.numel();
  if (n == 0) return {dgate, dup};
  if (grad.scalar_type() != gate.scalar_type() || grad.sizes() != gate.sizes() || !grad.is_contiguous())
    throw Error("swiglu: the output gradient must be a contiguous tensor of the input's shape and dtype");
  auto stream = at::cuda::getCurrentCUDAStream();
  dispatch_floating(gate.scalar_type(), "swiglu", [&](auto tag) {
    using T = decltype(tag);
    const auto* dy = static_cast<const T*>(grad.data_ptr());
    const auto* g = static_cast<const T*>(gate.data_ptr());
    const auto* u = static_cast<const T*>(up.data_ptr());
    auto* dg = static_cast<T*>(dgate.data_ptr());
    auto* du = static_cast<T*>(dup.data_ptr());
    constexpr int N = Pack<T>::N;
    if (n % N == 0 && aligned16({&grad, &gate, &up, &dgate, &dup})) {
      bwd_vec<T><<<grid_blocks(n / N), kThreads, 0, stream>>>(
          reinterpret_cast<const Pack<T>*>(dy), reinterpret_cast<const Pack<T>*>(g),
          reinterpret_cast<const Pack<T>*>(u), reinterpret_cast<Pack<T>*>(dg), reinterpret_cast<Pack<T>*>(du), n / N);
    } else {
      bwd_scalar<T><<<grid_blocks(n), kThreads, 0, stream>>>(dy, g, u, dg, du, n);
    }
  });
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return {dgate, dup};
}

}  // namespace socrates::detail
