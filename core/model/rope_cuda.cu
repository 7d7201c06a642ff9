// Rotary embedding kernels: one launch forward and one backward for x [B, H, T, D] of any
// strides (q and k are transposed views), instead of neg, cat, two multiplies and an add
// (and their backward). Each value is rounded as the unfused path rounds it (x·cos and
// rotate_half(x)·sin rounded to x's dtype, then their sum), so both give the same bits.
#include <cstdint>

#include <ATen/cuda/CUDAContext.h>
#include <ATen/ops/empty_like.h>
#include <c10/cuda/CUDAGuard.h>

#include "model/cuda_launch.cuh"
#include "model/rope.hpp"

namespace socrates::detail {

namespace {

struct Shape {
  std::int64_t B, H, T, half;
  std::int64_t in[4], out[4], cs[3];  // strides: x (or the gradient), the result, cos/sin [B, T, D]
};

// A product rounded to T; __fmul_rn is never contracted into an FMA with the sum after it,
// which the unfused path computes as a separate kernel.
template <typename T>
__device__ __forceinline__ float r(float a, float b) {
  return static_cast<float>(static_cast<T>(__fmul_rn(a, b)));
}

// Forward, d < half:  y1 = x1·c1 - x2·s1,  y2 = x2·c2 + x1·s2.
// Backward (the transpose): g1·c1 + g2·s2 and g2·c2 - g1·s1.
template <typename T, bool kBackward>
__global__ void rope_kernel(const T* x, T* y, const T* cos, const T* sin, Shape s, std::int64_t pairs) {
  for (std::int64_t p = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; p < pairs;
       p += std::int64_t{gridDim.x} * blockDim.x) {
    std::int64_t q = p;
    const std::int64_t d = q % s.half;
    q /= s.half;
    const std::int64_t t = q % s.T;
    q /= s.T;
    const std::int64_t h = q % s.H, b = q / s.H;
    const std::int64_t i1 = b * s.in[0] + h * s.in[1] + t * s.in[2] + d * s.in[3], i2 = i1 + s.half * s.in[3];
    const std::int64_t o1 = b * s.out[0] + h * s.out[1] + t * s.out[2] + d * s.out[3], o2 = o1 + s.half * s.out[3];
    const std::int64_t c1 = b * s.cs[0] + t * s.cs[1] + d * s.cs[2], c2 = c1 + s.half * s.cs[2];
    const float a = static_cast<float>(x[i1]), e = static_cast<float>(x[i2]);
    const float cos1 = static_cast<float>(cos[c1]), cos2 = static_cast<float>(cos[c2]);
    const float sin1 = static_cast<float>(sin[c1]), sin2 = static_cast<float>(sin[c2]);
    if (kBackward) {
      y[o1] = static_cast<T>(r<T>(a, cos1) + r<T>(e, sin2));
      y[o2] = static_cast<T>(r<T>(e, cos2) - r<T>(a, sin1));
    } else {
      y[o1] = static_cast<T>(r<T>(a, cos1) - r<T>(e, sin1));
      y[o2] = static_cast<T>(r<T>(e, cos2) + r<T>(a, sin2));
    }
  }
}

}  // namespace

// `cos` and `sin` are [B or 1, T, D], of x's dtype; `x` is [B, H, T, D].
at::Tensor rope_cuda(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin, bool backward) {
  const c10::cuda::CUDAGuard guard(x.device());
  at::Tensor y = at::empty_like(x);  // x's strides when dense (q, k: [B, T, H, D] in memory)
  Shape s{x.size(0), x.size(1), x.size(2), x.size(3) / 2, {}, {}, {}};
  for (int i = 0; i < 4; ++i) {
    s.in[i] = x.stride(i);
    s.out[i] = y.stride(i);
  }
  const at::Tensor c = cos.expand({s.B, s.T, x.size(3)});  // sin has cos's layout (rope_fused)
  for (int i = 0; i < 3; ++i) s.cs[i] = c.stride(i);
  const std::int64_t pairs = s.B * s.H * s.T * s.half;
  if (pairs == 0) return y;
  const unsigned blocks = grid_blocks(pairs);
  auto stream = at::cuda::getCurrentCUDAStream();
  dispatch_floating(x.scalar_type(), "rope", [&](auto tag) {
    using T = decltype(tag);
    const auto* xp = static_cast<const T*>(x.data_ptr());
    const auto* cp = static_cast<const T*>(cos.data_ptr());
    const auto* sp = static_cast<const T*>(sin.data_ptr());
    auto* yp = static_cast<T*>(y.data_ptr());
    if (backward)
      rope_kernel<T, true><<<blocks, kThreads, 0, stream>>>(xp, yp, cp, sp, s, pairs);
    else
      rope_kernel<T, false><<<blocks, kThreads, 0, stream>>>(xp, yp, cp, sp, s, pairs);
  });
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return y;
}

}  // namespace socrates::detail
