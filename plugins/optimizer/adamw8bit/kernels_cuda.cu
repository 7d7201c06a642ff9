// Multi-tensor CUDA kernels. The per-element arithmetic is bitsandbytes'
// kOptimizerStatic8bit2StateBlockwise<ADAM, 256, 1> and kOptimizer32bit2State<ADAM> written
// the same way and built with the same --use_fast_math, so it rounds as bitsandbytes does.
// Tensor descriptors travel as kernel arguments (no copies, no host synchronisation); one
// CUDA block per 256-element quantisation block.
#include <cfloat>
#include <cstdint>

#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels.hpp"

namespace adamw8bit {

namespace {

constexpr int kMaxTensors = 40;
constexpr int k32Chunk = 4096;  // elements per CUDA block in the 32-bit kernel

struct Tensor8 {
  void* p;
  const void* g;
  unsigned char* s1;
  unsigned char* s2;
  float* a1;
  float* a2;
  std::int64_t n;
  int step;
};
struct Batch8 {
  Tensor8 t[kMaxTensors];
  int block_start[kMaxTensors + 1];
  int count;
};
struct Tensor32 {
  void* p;
  const void* g;
  float* s1;
  float* s2;
  std::int64_t n;
  int step;
};
struct Batch32 {
  Tensor32 t[kMaxTensors];
  int block_start[kMaxTensors + 1];
  int count;
};
static_assert(sizeof(Batch8) < 4000 && sizeof(Batch32) < 4000, "kernel arguments must stay under 4 KB");

template <class T>
__device__ __forceinline__ float to_f(T v) {
  return static_cast<float>(v);
}
template <>
__device__ __forceinline__ float to_f<__nv_bfloat16>(__nv_bfloat16 v) {
  return __bfloat162float(v);
}
template <>
__device__ __forceinline__ float to_f<__half>(__half v) {
  return __half2float(v);
}
template <class T>
__device__ __forceinline__ T from_f(float v) {
  return v;
}
template <>
__device__ __forceinline__ __nv_bfloat16 from_f<__nv_bfloat16>(float v) {
  return __float2bfloat16(v);
}
template <>
__device__ __forceinline__ __half from_f<__half>(float v) {
  return __float2half(v);
}

__device__ __forceinline__ int find_tensor(const int* block_start, int count) {
  int lo = 0, hi = count - 1;
  while (lo < hi) {
    const int mid = (lo + hi + 1) / 2;
    if (block_start[mid] <= static_cast<int>(blockIdx.x)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

template <int SIGNED>
__device__ __forceinline__ unsigned char quantize_2D(const float* __restrict__ quadrants,
                                                     const float* __restrict__ smem_code, float x) {
  int pivot = 127, upper_pivot = 255, lower_pivot = 0;
  float lower = SIGNED ? -1.0f : 0.0f;
  float upper = 1.0f;
  float midpoint;
  float val = quadrants[1];
  int local_pivot = 1;
  int offset = 1;
  for (int i = 64; i > 0; i >>= 1) {
    if (x > val) {
      lower_pivot = pivot;
      lower = val;
      pivot += i;
      local_pivot += offset;
    } else {
      upper_pivot = pivot;
      upper = val;
      pivot -= i;
      local_pivot -= offset;
    }
    val = i >= 64 ? quadrants[local_pivot] : smem_code[pivot];
    offset -= 1;
  }
  if (x > val) {
    midpoint = (upper + val) * 0.5f;
    return x > midpoint ? upper_pivot : pivot;
  }
  midpoint = (lower + val) * 0.5f;
  return x < midpoint ? lower_pivot : pivot;
}

// cub's BlockReduce with Max (a < b ? b : a) over 256 threads.
__device__ __forceinline__ float block_max(float v, float* smem) {
  for (int o = 16; o > 0; o >>= 1) {
    const float w = __shfl_down_sync(0xffffffffu, v, o);
    v = v < w ? w : v;
  }
  if (threadIdx.x % 32 == 0) smem[threadIdx.x / 32] = v;
  __syncthreads();
  if (threadIdx.x == 0) {
    for (int k = 1; k < static_cast<int>(blockDim.x) / 32; ++k) v = v < smem[k] ? smem[k] : v;
    smem[0] = v;
  }
  __syncthreads();
  v = smem[0];
  __syncthreads();
  return v;
}

template <class T>
__global__ void __launch_bounds__(256) k_adamw8bit(Batch8 batch, const float* __restrict__ quantiles1,
                                                   const float* __restrict__ quantiles2, float beta1, float beta2,
                                                   float eps, float lr, float weight_decay) {
  __shared__ float smem_quantiles1[256];
  __shared__ float smem_quantiles2[256];
  __shared__ float smem_reduce[8];
  const int ti = find_tensor(batch.block_start, batch.count);
  const Tensor8 d = batch.t[ti];
  T* p = static_cast<T*>(d.p);
  const T* g = static_cast<const T*>(d.g);
  const std::int64_t block = blockIdx.x - batch.block_start[ti];
  const std::int64_t i = block * 256 + threadIdx.x;
  const bool valid = i < d.n;

  const float correction1 = 1.0f - __powf(beta1, d.step);
  const float correction2 = sqrtf(1.0f - __powf(beta2, d.step));
  const float step_size = __fdividef(-lr * correction2, correction1);

  smem_quantiles1[threadIdx.x] = quantiles1[threadIdx.x];
  smem_quantiles2[threadIdx.x] = quantiles2[threadIdx.x];
  __syncthreads();
  float quadrants1[3], quadrants2[3];
  for (int k = 0; k < 3; k++) {
    quadrants1[k] = smem_quantiles1[(k * 256 / 4) + (256 / 4 - 1)];
    quadrants2[k] = smem_quantiles2[(k * 256 / 4) + (256 / 4 - 1)];
  }

  // Past the end bitsandbytes loads g = 0, state1 = 128, state2 = 0.
  const T g_val_t = valid ? g[i] : from_f<T>(0.0f);
  unsigned char c1 = valid ? d.s1[i] : 128;
  unsigned char c2 = valid ? d.s2[i] : 0;
  float s1, s2;
  const float gf = to_f(g_val_t);
  if (!isnan(gf) && !isinf(gf)) {
    s2 = smem_quantiles2[c2] * d.a2[block];
    float g_val = gf;
    g_val *= 1.0f;  // gnorm_scale
    s2 = (s2 * beta2) + (((1.0f - beta2) * g_val * g_val));
    s1 = smem_quantiles1[c1] * d.a1[block];
    s1 = (s1 * beta1) + (((1.0f - beta1) * g_val));
  } else {
    s1 = 0.0f;
    s2 = 0.0f;
  }
  const float new_local_abs_max1 = block_max(fmaxf(-FLT_MAX, fabsf(s1)), smem_reduce);
  const float new_local_abs_max2 = block_max(fmaxf(-FLT_MAX, fabsf(s2)), smem_reduce);
  if (threadIdx.x == 0) {
    d.a1[block] = new_local_abs_max1;
    d.a2[block] = new_local_abs_max2;
  }

  if (valid) {
    T p_val = p[i];
    if (!isnan(gf) && !isinf(gf)) {
      p_val = from_f<T>(to_f(p_val) + (step_size * (__fdividef(s1, (sqrtf(s2) + (correction2 * eps))))));
      if (weight_decay > 0.0f) p_val = from_f<T>(to_f(p_val) * (1.0f - (lr * weight_decay)));
    }
    p[i] = p_val;
    c1 = quantize_2D<1>(quadrants1, smem_quantiles1, __fdividef(s1, new_local_abs_max1));
    c2 = quantize_2D<0>(quadrants2, smem_quantiles2, __fdividef(s2, new_local_abs_max2));
    if (signbit(smem_quantiles1[c1]) != signbit(s1)) {
      if (s1 > 0.0f) c1 += 1;
      else c1 -= 1;
    }
    d.s1[i] = c1;
    d.s2[i] = c2;
  }
}

template <class T>
__global__ void __launch_bounds__(256) k_adamw32bit(Batch32 batch, float beta1, float beta2, float eps, float lr,
                                                    float weight_decay) {
  const int ti = find_tensor(batch.block_start, batch.count);
  const Tensor32 d = batch.t[ti];
  T* p = static_cast<T*>(d.p);
  const T* g = static_cast<const T*>(d.g);
  const float correction1 = 1.0f - powf(beta1, d.step);
  const float correction2 = sqrtf(1.0f - powf(beta2, d.step));
  const float step_size = -lr * correction2 / correction1;
  const float update_scale = 1.0f;
  const std::int64_t start = static_cast<std::int64_t>(blockIdx.x - batch.block_start[ti]) * k32Chunk;
  const std::int64_t end = min(start + k32Chunk, d.n);
  for (std::int64_t i = start + threadIdx.x; i < end; i += blockDim.x) {
    const float gv = to_f(g[i]);
    if (isnan(gv) || isinf(gv)) {  // as in the 8-bit path
      d.s1[i] = 0.0f;
      d.s2[i] = 0.0f;
      continue;
    }
    float s1 = d.s1[i], s2 = d.s2[i];
    s1 = s1 * beta1 + ((1.0f - beta1) * gv);
    s2 = s2 * beta2 + ((1.0f - beta2) * (gv * gv));
    T p_val = from_f<T>(to_f(p[i]) + (update_scale * step_size * (s1 / (sqrtf(s2) + (eps * correction2)))));
    if (weight_decay > 0.0f) p_val = from_f<T>(to_f(p_val) * (1.0f - (lr * weight_decay)));
    p[i] = p_val;
    d.s1[i] = s1;
    d.s2[i] = s2;
  }
}

template <class T>
void launch(std::vector<ParamState*>& states, const at::Tensor& q1, const at::Tensor& q2, const Hyper& h,
            cudaStream_t stream) {
  Batch8 b8{};
  Batch32 b32{};
  auto flush8 = [&] {
    if (b8.count == 0) return;
    k_adamw8bit<T><<<b8.block_start[b8.count], 256, 0, stream>>>(b8, q1.data_ptr<float>(), q2.data_ptr<float>(),
                                                                  h.beta1, h.beta2, h.eps, h.lr, h.weight_decay);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    b8 = Batch8{};
  };
  auto flush32 = [&] {
    if (b32.count == 0) return;
    k_adamw32bit<T><<<b32.block_start[b32.count], 256, 0, stream>>>(b32, h.beta1, h.beta2, h.eps, h.lr,
                                                                     h.weight_decay);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    b32 = Batch32{};
  };
  for (ParamState* s : states) {
    const std::int64_t n = s->param.numel();
    if (n == 0) continue;
    if (s->absmax1.defined()) {
      const std::int64_t blocks = (n + kBlock - 1) / kBlock;
      if (b8.count == kMaxTensors || b8.block_start[b8.count] + blocks > 0x7fffffff) flush8();
      b8.t[b8.count] = {s->param.data_ptr(), s->grad.data_ptr(), s->state1.data_ptr<std::uint8_t>(),
                        s->state2.data_ptr<std::uint8_t>(), s->absmax1.data_ptr<float>(), s->absmax2.data_ptr<float>(),
                        n, static_cast<int>(s->step)};
      b8.block_start[b8.count + 1] = b8.block_start[b8.count] + static_cast<int>(blocks);
      ++b8.count;
    } else {
      const std::int64_t blocks = (n + k32Chunk - 1) / k32Chunk;
      if (b32.count == kMaxTensors || b32.block_start[b32.count] + blocks > 0x7fffffff) flush32();
      b32.t[b32.count] = {s->param.data_ptr(), s->grad.data_ptr(), s->state1.data_ptr<float>(),
                          s->state2.data_ptr<float>(), n, static_cast<int>(s->step)};
      b32.block_start[b32.count + 1] = b32.block_start[b32.count] + static_cast<int>(blocks);
      ++b32.count;
    }
  }
  flush8();
  flush32();
}

}  // namespace

void cuda_step(std::vector<ParamState*>& states, const at::Tensor& q1, const at::Tensor& q2, const Hyper& h) {
  if (states.empty()) return;
  const c10::cuda::CUDAGuard guard(states.front()->param.device());
  cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  std::vector<ParamState*> f32, bf16, f16;
  for (ParamState* s : states) {
    switch (s->param.scalar_type()) {
      case at::kFloat: f32.push_back(s); break;
      case at::kBFloat16: bf16.push_back(s); break;
      default: f16.push_back(s); break;
    }
  }
  if (!f32.empty()) launch<float>(f32, q1, q2, h, stream);
  if (!bf16.empty()) launch<__nv_bfloat16>(bf16, q1, q2, h, stream);
  if (!f16.empty()) launch<__half>(f16, q1, q2, h, stream);
}

}  // namespace adamw8bit
