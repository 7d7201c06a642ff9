// Dropout whose mask is a pure function of (seed, offset, element index): Philox4x32-10 with
// one subsequence per 4 elements. Backward draws the same mask again from the two numbers
// instead of keeping it, so a LoRA layer keeps no dropout state for backward at all.
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
__global__ void dropout_kernel(const T* __restrict__ in, T* __restrict__ out, std::int64_t n, float keep,
                               float scale, std::uint64_t seed, std::uint64_t offset) {
  const std::int64_t groups = (n + 3) / 4;
  const std::int64_t stride = std::int64_t{gridDim.x} * blockDim.x;
  for (std::int64_t g = std::int64_t{blockIdx.x} * blockDim.x + threadIdx.x; g < groups; g += stride) {
    curandStatePhilox4_32_10_t state;
    curand_init(seed, static_cast<unsigned long long>(g), offset, &state);
    const float4 u = curand_uniform4(&state);
    const float r[4] = {u.x, u.y, u.z, u.w};
    const std::int64_t base = g * 4;
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const std::int64_t i = base + k;
      if (i < n) out[i] = static_cast<T>(r[k] < keep ? static_cast<float>(in[i]) * scale : 0.0f);
    }
  }
}

template <typename T>
void launch(const at::Tensor& in, at::Tensor& out, double p, PhiloxSeed s) {
  const std::int64_t n = in.numel();
  if (n == 0) return;
  const std::int64_t groups = (n + 3) / 4;
  const std::int64_t cap = std::int64_t{at::cuda::getCurrentDeviceProperties()->multiProcessorCount} * 16;
  const auto blocks = static_cast<unsigned>(std::max<std::int64_t>(1, std::min(cap, (groups + kThreads - 1) / kThreads)));
  const float keep = static_cast<float>(1.0 - p), scale = static_cast<float>(1.0 / (1.0 - p));
  dropout_kernel<T><<<blocks, kThreads, 0, at::cuda::getCurrentCUDAStream()>>>(
      in.const_data_ptr<T>(), out.mutable_data_ptr<T>(), n, keep, scale, s.seed, s.offset);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

}  // namespace

PhiloxSeed draw_philox_seed(c10::Device device) {
  auto* gen = at::check_generator<at::CUDAGeneratorImpl>(at::cuda::detail::getDefaultCUDAGenerator(device.index()));
  std::lock_guard<std::mutex> lock(gen->mutex_);
  // Each element group takes one draw of four 32-bit values from its own subsequence.
  const auto [seed, offset] = gen->philox_engine_inputs(4);
  return {seed, offset};
}

at::Tensor dropout_philox(const at::Tensor& x, double p, PhiloxSeed s) {
  const c10::cuda::CUDAGuard guard(x.device());
  const at::Tensor in = x.contiguous();
  at::Tensor out = at::empty_like(in);
  switch (in.scalar_type()) {
    case at::kFloat: launch<float>(in, out, p, s); break;
    case at::kBFloat16: launch<c10::BFloat16>(in, out, p, s); break;
    case at::kHalf: launch<c10::Half>(in, out, p, s); break;
    default: throw std::invalid_argument("lora dropout: CUDA takes float32, bfloat16 or float16 inputs");
  }
  return out;
}

}  // namespace lora
