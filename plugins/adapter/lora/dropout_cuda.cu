// Dropout whose mask is a pure function of (seed, offset, element index): one Philox4x32-10
// evaluation per 4 elements, keyed by the seed. Backward draws the same
// mask again from the two numbers instead of keeping it, so a LoRA layer keeps no dropout
// state for backward at all.
#include <algorithm>
#include <cstdint>

#include <ATen/cuda/CUDAContext.h>
#include <ATen/cuda/CUDAGeneratorImpl.h>
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty_like.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>
#include <curand_kernel.h>

#include <mutex>
#include <stdexcept>

#include "dropout_cuda.hpp"

namespace lora {

namespace {

constexpr int kThreads = 256;

template <typename T>
struct alignas(4 * sizeof(T)) Vec4 {
  T v[4];
};

// The four 32-bit draws of group g: one Philox evaluation, as ATen's dropout spends per four
// elements. The counter is laid out as curand's (offset / 4 in x, y; the subsequence g in z, w),
// and the generator hands every call its own offset, so no other kernel draws these numbers.
__device__ __forceinline__ uint4 philox_group(std::uint64_t g, std::uint64_t seed, std::uint64_t offset) {
  const std::uint64_t c = offset / 4;
  const uint4 ctr = make_uint4(static_cast<unsigned>(c), static_cast<unsigned>(c >> 32), static_cast<unsigned>(g),
                               static_cast<unsigned>(g >> 32));
  const uint2 key = make_uint2(static_cast<unsigned>(seed), static_cast<unsigned>(seed >> 32));
  return curand_Philox4x32_10(ctr, key);
}

// Kept when the 32-bit draw is below keep · 2^32.
template <typename T>
__device__ __forceinline__ T drop(T x, unsigned r, unsigned threshold, float scale) {
  return static_cast<T>(r < threshold ? static_cast<float>(x) * scale : 0.0f);
}

// out + dropped x, as at::add of the dropped tensor: the dropped value rounded to T, the sum
// in float and rounded once.
template <typename T>
__device__ __forceinline__ T add(T acc, T dropped) {
  return static_cast<T>(static_cast<float>(acc) + static_cast<float>(dropped));
}

// Vec (both pointers aligned to 4 elements): each whole group of 4 is one load and one store;
// a last partial group, and every group without Vec, goes element by element. Add: out += the
// dropped input instead of out = it.
template <typename T, bool Vec, bool Add>
__global__ void dropout_kernel(const T* __restrict__ in, T* __restrict__ out, std::int64_t n, unsigned threshold,
                               float scale, std::uint64_t seed, std::uint64_t offset) {
  const std::int64_t groups = (n + 3) / 4;
  const std::int64_t stride = std::int64_t{gridDim.x} * blockDim.x;
  for (std::int64_t g = std::int64_t{blockIdx.x} * blockDim.x + threadIdx.x; g < groups; g += stride) {
    const uint4 r4 = philox_group(static_cast<std::uint64_t>(g), seed, offset);
    const unsigned r[4] = {r4.x, r4.y, r4.z, r4.w};
    const std::int64_t base = g * 4;
    if (Vec && base + 4 <= n) {
      Vec4<T> v = reinterpret_cast<const Vec4<T>*>(in)[g];
#pragma unroll
      for (int k = 0; k < 4; ++k) v.v[k] = drop(v.v[k], r[k], threshold, scale);
      if (Add) {
        const Vec4<T> o = reinterpret_cast<const Vec4<T>*>(out)[g];
#pragma unroll
        for (int k = 0; k < 4; ++k) v.v[k] = add(o.v[k], v.v[k]);
      }
      reinterpret_cast<Vec4<T>*>(out)[g] = v;
    } else {
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        if (base + k >= n) continue;
        const T d = drop(in[base + k], r[k], threshold, scale);
        out[base + k] = Add ? add(out[base + k], d) : d;
      }
    }
  }
}

template <typename T, bool Add>
void launch(const at::Tensor& in, at::Tensor& out, double p, PhiloxSeed s) {
  const std::int64_t n = in.numel();
  if (n == 0) return;
  const std::int64_t groups = (n + 3) / 4;
  const std::int64_t cap = std::int64_t{at::cuda::getCurrentDeviceProperties()->multiProcessorCount} * 16;
  const auto blocks = static_cast<unsigned>(std::max<std::int64_t>(1, std::min(cap, (groups + kThreads - 1) / kThreads)));
  // keep = 1 - p as a 32-bit threshold; p in (0, 1), so 0 < threshold < 2^32.
  const auto threshold = static_cast<unsigned>(std::min(4294967295.0, (1.0 - p) * 4294967296.0));
  const auto scale = static_cast<float>(1.0 / (1.0 - p));
  const T* src = in.const_data_ptr<T>();
  T* dst = out.mutable_data_ptr<T>();
  const bool aligned = reinterpret_cast<std::uintptr_t>(src) % sizeof(Vec4<T>) == 0 &&
                       reinterpret_cast<std::uintptr_t>(dst) % sizeof(Vec4<T>) == 0;
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  if (aligned)
    dropout_kernel<T, true, Add><<<blocks, kThreads, 0, stream>>>(src, dst, n, threshold, scale, s.seed, s.offset);
  else
    dropout_kernel<T, false, Add><<<blocks, kThreads, 0, stream>>>(src, dst, n, threshold, scale, s.seed, s.offset);
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
