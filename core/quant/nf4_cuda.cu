// CUDA kernels for 4-bit blockwise quantisation. Built with --use_fast_math like
// bitsandbytes, and written with its expressions (1.0f / absmax, x * inv), so codes and absmax
// round as bitsandbytes' kQuantizeBlockwise does. Dequantisation fuses the nested absmax step
// (bitsandbytes launches three kernels) with explicit round-to-nearest ops, no FMA.
#include <cfloat>
#include <cstdint>

#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "quant/detail.hpp"
#include "socrates/error.hpp"

namespace socrates::quant::detail {

namespace {

__device__ __forceinline__ unsigned char d_nf4(float x) {
  if (x > 0.03979014977812767f) {
    if (x > 0.3893125355243683f) {
      if (x > 0.6427869200706482f) return x > 0.8614784181118011f ? 0b1111 : 0b1110;
      return x > 0.5016634166240692f ? 0b1101 : 0b1100;
    }
    if (x > 0.2035212516784668f) return x > 0.2920137718319893f ? 0b1011 : 0b1010;
    return x > 0.1202552504837513f ? 0b1001 : 0b1000;
  }
  if (x > -0.33967943489551544f) {
    if (x > -0.13791173323988914f) return x > -0.045525018125772476f ? 0b0111 : 0b0110;
    return x > -0.23460740596055984f ? 0b0101 : 0b0100;
  }
  if (x > -0.6106329262256622f) return x > -0.4599952697753906f ? 0b0011 : 0b0010;
  return x > -0.8480964004993439f ? 0b0001 : 0b0000;
}

__device__ __forceinline__ unsigned char d_fp4(float x) {
  const unsigned char sign = x < 0 ? 0b1000 : 0;
  x = fabsf(x);
  if (x > 0.29166667f) {
    if (x > 0.583333f) return (x > 0.8333333f ? 0b0011 : 0b0010) + sign;
    return (x > 0.4166667f ? 0b101 : 0b100) + sign;
  }
  if (x > 0.0859375f) return (x > 0.20833333f ? 0b0111 : 0b0110) + sign;
  return (x > 0.00260417f ? 0b0001 : 0b0000) + sign;
}

__device__ __forceinline__ unsigned char d_quantize8(const float* code, float x) {
  int pivot = 127, upper_pivot = 255, lower_pivot = 0;
  float lower = -1.0f, upper = 1.0f;
  float val = code[pivot];
  for (int i = 64; i > 0; i >>= 1) {
    if (x > val) {
      lower_pivot = pivot;
      lower = val;
      pivot += i;
    } else {
      upper_pivot = pivot;
      upper = val;
      pivot -= i;
    }
    val = code[pivot];
  }
  if (upper_pivot == 255) upper = code[upper_pivot];
  if (lower_pivot == 0) lower = code[lower_pivot];
  if (x > val) {
    const float midpoint = (upper + val) * 0.5f;
    return x > midpoint ? upper_pivot : pivot;
  }
  const float midpoint = (lower + val) * 0.5f;
  return x < midpoint ? lower_pivot : pivot;
}

template <class T>
__device__ __forceinline__ float load_f(const T* p, std::int64_t i) {
  return static_cast<float>(p[i]);
}
template <>
__device__ __forceinline__ float load_f<__nv_bfloat16>(const __nv_bfloat16* p, std::int64_t i) {
  return __bfloat162float(p[i]);
}
template <>
__device__ __forceinline__ float load_f<__half>(const __half* p, std::int64_t i) {
  return __half2float(p[i]);
}

template <class T>
__device__ __forceinline__ T from_f(float v);
template <>
__device__ __forceinline__ float from_f<float>(float v) { return v; }
template <>
__device__ __forceinline__ __nv_bfloat16 from_f<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
template <>
__device__ __forceinline__ __half from_f<__half>(float v) { return __float2half_rn(v); }

constexpr int kThreads = 256;

// Dequantisation tables (NF4, then FP4 with its sign bit), as bitsandbytes' kernels use them.
__constant__ float c_table[2][16] = {
    {-1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
     -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
     0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f,
     1.0f},
    {0.0f, 5.208333333e-03f, 0.66666667f, 1.0f, 0.33333333f, 0.5f, 0.16666667f, 0.25f, -0.0f, -5.208333333e-03f,
     -0.66666667f, -1.0f, -0.33333333f, -0.5f, -0.16666667f, -0.25f}};

// Block-wide max of per-thread values (max is exact, so the order does not matter).
__device__ __forceinline__ float block_max(float v, float* smem) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, warps = (blockDim.x + 31) / 32;
  if (lane == 0) smem[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < warps ? smem[lane] : -FLT_MAX;
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    if (lane == 0) smem[0] = v;
  }
  __syncthreads();
  v = smem[0];
  __syncthreads();
  return v;
}

// One CUDA block per quantisation block; each thread packs byte pairs (2 elements).
template <class T, int TYPE>
__global__ void k_quantize_4bit(const T* __restrict__ x, unsigned char* __restrict__ packed,
                                float* __restrict__ absmax, std::int64_t n, int blocksize) {
  __shared__ float smem[32];
  const std::int64_t start = static_cast<std::int64_t>(blockIdx.x) * blocksize;
  const std::int64_t count = min(static_cast<std::int64_t>(blocksize), n - start);
  float m = count < blocksize ? 0.0f : -FLT_MAX;  // a partial block sees the zero padding
  for (std::int64_t i = threadIdx.x; i < count; i += blockDim.x) m = fmaxf(m, fabsf(load_f(x, start + i)));
  const float amax = block_max(m, smem);
  if (threadIdx.x == 0) absmax[blockIdx.x] = amax;
  const float inv = 1.0f / amax;
  for (std::int64_t j = threadIdx.x; 2 * j < count; j += blockDim.x) {
    const float a = load_f(x, start + 2 * j) * inv;
    const float b = (2 * j + 1 < count ? load_f(x, start + 2 * j + 1) : 0.0f) * inv;
    unsigned char c = TYPE == 0 ? (d_nf4(a) << 4) | d_nf4(b) : (d_fp4(a) << 4) | d_fp4(b);
    packed[(start >> 1) + j] = c;
  }
}

__global__ void k_quantize_8bit(const float* __restrict__ x, const float* __restrict__ offset,
                                const float* __restrict__ code, unsigned char* __restrict__ out,
                                float* __restrict__ absmax, std::int64_t n, int blocksize) {
  __shared__ float smem[32];
  __shared__ float scode[256];
  for (int i = threadIdx.x; i < 256; i += blockDim.x) scode[i] = code[i];
  const float off = offset ? *offset : 0.0f;
  const std::int64_t start = static_cast<std::int64_t>(blockIdx.x) * blocksize;
  const std::int64_t count = min(static_cast<std::int64_t>(blocksize), n - start);
  float m = count < blocksize ? 0.0f : -FLT_MAX;
  for (std::int64_t i = threadIdx.x; i < count; i += blockDim.x) m = fmaxf(m, fabsf(__fsub_rn(x[start + i], off)));
  const float amax = block_max(m, smem);  // also orders the scode writes before use
  if (threadIdx.x == 0) absmax[blockIdx.x] = amax;
  const float inv = 1.0f / amax;
  for (std::int64_t i = threadIdx.x; i < count; i += blockDim.x)
    out[start + i] = d_quantize8(scode, __fsub_rn(x[start + i], off) * inv);
}

__device__ __forceinline__ float d_block_absmax(std::int64_t e, int blocksize, const float* absmax_f,
                                                const unsigned char* absmax_q, const float* nested_absmax,
                                                const float* nested_code, int nested_blocksize, float off) {
  const std::int64_t blk = e / blocksize;
  if (!absmax_q) return absmax_f[blk];
  return __fadd_rn(__fmul_rn(nested_code[absmax_q[blk]], nested_absmax[blk / nested_blocksize]), off);
}

// Thread per byte: the general case (any n, blocksize or alignment).
template <class T>
__global__ void k_dequantize_4bit(const unsigned char* __restrict__ packed, const float* __restrict__ absmax_f,
                                  const unsigned char* __restrict__ absmax_q, const float* __restrict__ nested_absmax,
                                  const float* __restrict__ nested_code, const float* __restrict__ offset, int type,
                                  T* __restrict__ out, std::int64_t n, int blocksize, int nested_blocksize) {
  const float* stable = c_table[type];
  const float off = absmax_q ? *offset : 0.0f;
  const std::int64_t bytes = (n + 1) / 2;
  for (std::int64_t j = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < bytes;
       j += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const unsigned char b = packed[j];
    const std::int64_t i = 2 * j;
    auto am = [&](std::int64_t e) {
      return d_block_absmax(e, blocksize, absmax_f, absmax_q, nested_absmax, nested_code, nested_blocksize, off);
    };
    out[i] = from_f<T>(__fmul_rn(stable[b >> 4], am(i)));
    if (i + 1 < n) out[i + 1] = from_f<T>(__fmul_rn(stable[b & 15], am(i + 1)));
  }
}

// Sixteen values a thread: one 8-byte load, one absmax (blocksize % 16 == 0), 16-byte stores,
// the code table in shared memory (constant memory serialises divergent lookups). The same
// round-to-nearest products as k_dequantize_4bit, so the values are identical.
template <class T>
__global__ void k_dequantize_4bit_x16(const uint2* __restrict__ packed, const float* __restrict__ absmax_f,
                                      const unsigned char* __restrict__ absmax_q,
                                      const float* __restrict__ nested_absmax, const float* __restrict__ nested_code,
                                      const float* __restrict__ offset, int type, T* __restrict__ out,
                                      std::int64_t groups, int blocksize, int nested_blocksize) {
  __shared__ float stable[16];
  if (threadIdx.x < 16) stable[threadIdx.x] = c_table[type][threadIdx.x];
  __syncthreads();
  const float off = absmax_q ? *offset : 0.0f;
  for (std::int64_t g = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; g < groups;
       g += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const uint2 v = packed[g];
    const float am =
        d_block_absmax(g * 16, blocksize, absmax_f, absmax_q, nested_absmax, nested_code, nested_blocksize, off);
    uint4 buf[sizeof(T)];  // 16 values of T
    T* vals = reinterpret_cast<T*>(buf);
#pragma unroll
    for (int k = 0; k < 8; ++k) {
      const unsigned b = ((k < 4 ? v.x : v.y) >> (8 * (k & 3))) & 0xffu;
      vals[2 * k] = from_f<T>(__fmul_rn(stable[b >> 4], am));
      vals[2 * k + 1] = from_f<T>(__fmul_rn(stable[b & 15], am));
    }
    uint4* dst = reinterpret_cast<uint4*>(out + g * 16);
#pragma unroll
    for (int k = 0; k < static_cast<int>(sizeof(T)); ++k) dst[k] = buf[k];
  }
}

void check(const at::Tensor& t, const char* what) {
  if (!t.is_cuda() || !t.is_contiguous()) throw Error(std::string("socrates_quant CUDA: ") + what + " must be a contiguous CUDA tensor");
}

}  // namespace

void cuda_quantize_4bit(const at::Tensor& x, QuantType type, std::int64_t blocksize, at::Tensor& packed,
                        at::Tensor& absmax) {
  check(x, "input");
  const c10::cuda::CUDAGuard guard(x.device());
  const std::int64_t n = x.numel(), blocks = (n + blocksize - 1) / blocksize;
  if (blocks > 0x7fffffff) throw Error("quantize_4bit: tensor too large");
  const int threads = static_cast<int>(std::min<std::int64_t>(blocksize / 2, kThreads));
  auto stream = at::cuda::getCurrentCUDAStream();
  auto launch = [&](auto* ptr) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(ptr)>>;
    if (type == QuantType::NF4)
      k_quantize_4bit<T, 0><<<blocks, threads, 0, stream>>>(ptr, packed.data_ptr<std::uint8_t>(),
                                                           absmax.data_ptr<float>(), n, static_cast<int>(blocksize));
    else
      k_quantize_4bit<T, 1><<<blocks, threads, 0, stream>>>(ptr, packed.data_ptr<std::uint8_t>(),
                                                           absmax.data_ptr<float>(), n, static_cast<int>(blocksize));
  };
  switch (x.scalar_type()) {
    case c10::kFloat: launch(x.data_ptr<float>()); break;
    case c10::kBFloat16: launch(reinterpret_cast<const __nv_bfloat16*>(x.data_ptr<c10::BFloat16>())); break;
    default: launch(reinterpret_cast<const __half*>(x.data_ptr<c10::Half>())); break;
  }
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

void cuda_quantize_8bit(const at::Tensor& x, const at::Tensor& offset, const at::Tensor& code, std::int64_t blocksize,
                        at::Tensor& codes, at::Tensor& absmax) {
  check(x, "input");
  check(code, "code");
  const c10::cuda::CUDAGuard guard(x.device());
  const std::int64_t n = x.numel(), blocks = (n + blocksize - 1) / blocksize;
  k_quantize_8bit<<<blocks, kThreads, 0, at::cuda::getCurrentCUDAStream()>>>(
      x.data_ptr<float>(), offset.defined() ? offset.data_ptr<float>() : nullptr, code.data_ptr<float>(),
      codes.data_ptr<std::uint8_t>(), absmax.data_ptr<float>(), n, static_cast<int>(blocksize));
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

void cuda_dequantize_4bit(const Nf4Tensor& q, at::Tensor& out) {
  check(q.packed, "packed weight");
  const c10::cuda::CUDAGuard guard(q.packed.device());
  const std::int64_t n = q.numel();
  const int type = q.quant_type == QuantType::NF4 ? 0 : 1;
  const bool nested = q.nested();
  const float* absmax_f = nested ? nullptr : q.absmax.data_ptr<float>();
  const unsigned char* absmax_q = nested ? q.absmax.data_ptr<std::uint8_t>() : nullptr;
  const float* nabs = nested ? q.nested_absmax.data_ptr<float>() : nullptr;
  const float* ncode = nested ? q.nested_quant_map.data_ptr<float>() : nullptr;
  const float* off = nested ? q.nested_offset.data_ptr<float>() : nullptr;
  auto stream = at::cuda::getCurrentCUDAStream();
  const auto* pk = q.packed.data_ptr<std::uint8_t>();
  const int bs = static_cast<int>(q.blocksize), nbs = static_cast<int>(q.nested_blocksize);
  const auto aligned = [](const void* p, std::uintptr_t a) { return reinterpret_cast<std::uintptr_t>(p) % a == 0; };
  const bool x16 = n % 16 == 0 && bs % 16 == 0 && aligned(pk, 8) && aligned(out.data_ptr(), 16);
  auto launch = [&](auto* o) {
    using T = std::remove_pointer_t<decltype(o)>;
    if (x16) {
      const std::int64_t groups = n / 16;
      const int grid = static_cast<int>(std::min<std::int64_t>((groups + kThreads - 1) / kThreads, 65535));
      k_dequantize_4bit_x16<T><<<grid, kThreads, 0, stream>>>(reinterpret_cast<const uint2*>(pk), absmax_f, absmax_q,
                                                              nabs, ncode, off, type, o, groups, bs, nbs);
    } else {
      const std::int64_t bytes = (n + 1) / 2;
      const int grid = static_cast<int>(std::min<std::int64_t>((bytes + kThreads - 1) / kThreads, 65535));
      k_dequantize_4bit<T><<<grid, kThreads, 0, stream>>>(pk, absmax_f, absmax_q, nabs, ncode, off, type, o, n, bs,
                                                          nbs);
    }
  };
  switch (out.scalar_type()) {
    case c10::kFloat: launch(out.data_ptr<float>()); break;
    case c10::kBFloat16: launch(reinterpret_cast<__nv_bfloat16*>(out.data_ptr<c10::BFloat16>())); break;
    default: launch(reinterpret_cast<__half*>(out.data_ptr<c10::Half>())); break;
  }
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

std::pair<int, int> cuda_device_shape(int device) {
  const cudaDeviceProp* p = at::cuda::getDeviceProperties(device);
  return {p->multiProcessorCount, p->maxThreadsPerMultiProcessor};
}

}  // namespace socrates::quant::detail
