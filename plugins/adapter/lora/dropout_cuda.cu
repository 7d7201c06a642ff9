// Dropout whose mask is a pure function of (seed, offset, element index) (philox_dropout.cuh).
// Backward draws the same mask again from the two numbers instead of keeping it, so a LoRA
// layer keeps no dropout state for backward at all.
#include <algorithm>
#include <cstdint>

#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAGeneratorImpl.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty_like.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include <mutex>
#include <stdexcept>

#include "dropout_cuda.hpp"
#include "philox_dropout.cuh"

namespace lora {

namespace {

using detail::DropParams;
using detail::Vec8;

constexpr int kThreads = 256;

// One thread per group of 8 elements (one Philox evaluation). Vec (both pointers aligned to a
// group): a whole group is one load and one store; a last partial group, and every group
// without Vec, goes element by element. Add: out += the dropped input instead of out = it.
template <typename T, bool Vec, bool Add>
__global__ void dropout_kernel(const T* __restrict__ in, T* __restrict__ out, std::int64_t n, DropParams d) {
  const std::int64_t groups = (n + 7) / 8;
  const std::int64_t stride = std::int64_t{gridDim.x} * blockDim.x;
  for (std::int64_t g = std::int64_t{blockIdx.x} * blockDim.x + threadIdx.x; g < groups; g += stride) {
    const uint4 r = detail::philox8(static_cast<std::uint64_t>(g), d);
    const std::int64_t base = g * 8;
    if (Vec && base + 8 <= n) {
      Vec8<T> v = reinterpret_cast<const Vec8<T>*>(in)[g];
#pragma unroll
      for (int k = 0; k < 8; ++k) v.v[k] = detail::drop(v.v[k], detail::kept(r, k, d.threshold), d.scale);
      if (Add) {
        const Vec8<T> o = reinterpret_cast<const Vec8<T>*>(out)[g];
#pragma unroll
        for (int k = 0; k < 8; ++k) v.v[k] = detail::add(o.v[k], v.v[k]);
      }
      reinterpret_cast<Vec8<T>*>(out)[g] = v;
    } else {
#pragma unroll
      for (int k = 0; k < 8; ++k) {
        if (base + k >= n) continue;
        const T dropped = detail::drop(in[base + k], detail::kept(r, k, d.threshold), d.scale);
        out[base + k] = Add ? detail::add(out[base + k], dropped) : dropped;
      }
    }
  }
}

template <typename T, bool Add>
void launch(const at::Tensor& in, at::Tensor& out, double p, PhiloxSeed s) {
  const std::int64_t n = in.numel();
  if (n == 0) return;
  const std::int64_t groups = (n + 7) / 8;
  const std::int64_t cap = std::int64_t{at::cuda::getCurrentDeviceProperties()->multiProcessorCount} * 16;
  const auto blocks = static_cast<unsigned>(std::max<std::int64_t>(1, std::min(cap, (groups + kThreads - 1) / kThreads)));
  const DropParams d = detail::drop_params(p, s);
  const T* src = in.const_data_ptr<T>();
  T* dst = out.mutable_data_ptr<T>();
  const bool aligned = reinterpret_cast<std::uintptr_t>(src) % sizeof(Vec8<T>) == 0 &&
                       reinterpret_cast<std::uintptr_t>(dst) % sizeof(Vec8<T>) == 0;
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  if (aligned)
    dropout_kernel<T, true, Add><<<blocks, kThreads, 0, stream>>>(src, dst, n, d);
  else
    dropout_kernel<T, false, Add><<<blocks, kThreads, 0, stream>>>(src, dst, n, d);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

}  // namespace

PhiloxSeed draw_philox_seed(c10::Device device) {
  auto* gen = at::check_generator<at::CUDAGeneratorImpl>(at::cuda::detail::getDefaultCUDAGenerator(device.index()));
  std::lock_guard<std::mutex> lock(gen->mutex_);
  // A fresh offset per call: the groups' counters of one call never meet another call's.
  const auto [seed, offset] = gen->philox_engine_inputs(4);
  return {seed, offset};
}

namespace {

template <bool Add>
void dispatch(const at::Tensor& in, at::Tensor& out, double p, PhiloxSeed s) {
  switch (in.scalar_type()) {
    case at::kFloat: launch<float, Add>(in, out, p, s); break;
    case at::kBFloat16: launch<c10::BFloat16, Add>(in, out, p, s); break;
    case at::kHalf: launch<c10::Half, Add>(in, out, p, s); break;
    default: throw std::invalid_argument("lora dropout: CUDA takes float32, bfloat16 or float16 inputs");
  }
}

}  // namespace

at::Tensor dropout_philox(const at::Tensor& x, double p, PhiloxSeed s) {
  const c10::cuda::CUDAGuard guard(x.device());
  const at::Tensor in = x.contiguous();
  at::Tensor out = at::empty_like(in);
  dispatch<false>(in, out, p, s);
  return out;
}

void dropout_philox_add_(at::Tensor& acc, const at::Tensor& x, double p, PhiloxSeed s) {
  if (acc.sizes() != x.sizes() || acc.scalar_type() != x.scalar_type() || !acc.is_contiguous() ||
      acc.device() != x.device())
    throw std::invalid_argument("lora dropout: the sum must be a contiguous tensor of x's shape, dtype and device");
  const c10::cuda::CUDAGuard guard(x.device());
  dispatch<true>(x.contiguous(), acc, p, s);
}

}  // namespace lora
