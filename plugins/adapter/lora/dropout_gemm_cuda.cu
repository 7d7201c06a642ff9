// Dropout fused into the LoRA A product (dropout(x) Aᵀ) and its gradients (gᵀ dropout(x) and
// dropout(g A)), on tensor cores through WMMA. The products are thin (rank <= 128), so they are
// bound by reading x or writing the gradient; fusing the dropout saves a write and a read of a
// tokens x features tensor per call. Blocks of 4 warps work on 64 x 64 tiles; the two products
// that reduce over a long dimension split it into slices whose float partial sums are added in
// a fixed order (no atomics: the same inputs give the same bits).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <stdexcept>

#include <ATen/cuda/CUDAContext.h>
#include <ATen/ops/empty.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <mma.h>

#include "dropout_gemm.hpp"
#include "philox_dropout.cuh"

namespace lora {

namespace {

using namespace nvcuda;
using detail::DropParams;
using detail::Vec8;

constexpr int kThreads = 128;        // 4 warps, 16 rows (or columns) of a tile each
constexpr int kTile = 64;            // rows and columns of a tile of x or of x's gradient
constexpr int kLd = kTile + 8;       // shared-memory pitch of a 64-wide tile (rows 16 B apart mod 128)
constexpr int kMaxRank = 128;
constexpr int kMaxFrags = kMaxRank / 16;

template <typename T>
struct Wmma;
template <>
struct Wmma<c10::BFloat16> {
  using type = __nv_bfloat16;
};
template <>
struct Wmma<c10::Half> {
  using type = __half;
};

__host__ __device__ constexpr int padded(int rank) { return (rank + 15) / 16 * 16; }

template <typename T>
__device__ __forceinline__ const typename Wmma<T>::type* wm(const T* p) {
  return reinterpret_cast<const typename Wmma<T>::type*>(p);
}

// Rows [r0, r0 + 64) x columns [c0, c0 + 64) of x [n, k], dropped, into s (pitch kLd); past n or
// k, zeros. k is a multiple of 8, so a group of 8 is wholly inside or outside.
template <typename T>
__device__ void load_x_tile(const T* __restrict__ x, T* s, std::int64_t n, std::int64_t k, std::int64_t r0,
                            std::int64_t c0, const DropParams& d) {
  for (int v = threadIdx.x; v < kTile * kTile / 8; v += kThreads) {
    const int row = v / (kTile / 8), col = v % (kTile / 8) * 8;
    const std::int64_t gr = r0 + row, gc = c0 + col;
    Vec8<T> p;
    if (gr < n && gc < k) {
      const std::int64_t i = gr * k + gc;
      p = *reinterpret_cast<const Vec8<T>*>(x + i);
      const uint4 r = detail::philox8(static_cast<std::uint64_t>(i / 8), d);
#pragma unroll
      for (int e = 0; e < 8; ++e) p.v[e] = detail::drop(p.v[e], detail::kept(r, e, d.threshold), d.scale);
    } else {
#pragma unroll
      for (int e = 0; e < 8; ++e) p.v[e] = T(0.0f);
    }
    *reinterpret_cast<Vec8<T>*>(s + row * kLd + col) = p;
  }
}

// Rows [0, rank_pad) x columns [c0, c0 + 64) of a [rank, k] into s (pitch kLd); rows past rank
// and columns past k as zeros.
template <typename T>
__device__ void load_a_tile(const T* __restrict__ a, T* s, int rank, int rank_pad, std::int64_t k, std::int64_t c0) {
  for (int v = threadIdx.x; v < rank_pad * (kTile / 8); v += kThreads) {
    const int row = v / (kTile / 8), col = v % (kTile / 8) * 8;
    const std::int64_t gc = c0 + col;
    Vec8<T> p;
    if (row < rank && gc < k) {
      p = *reinterpret_cast<const Vec8<T>*>(a + row * k + gc);
    } else {
#pragma unroll
      for (int e = 0; e < 8; ++e) p.v[e] = T(0.0f);
    }
    *reinterpret_cast<Vec8<T>*>(s + row * kLd + col) = p;
  }
}

// Rows [r0, r0 + 64) of g [n, rank] into s (pitch ldg), columns up to rank_pad; zeros past n or
// rank. Element by element: rank need not be a multiple of 8, and the tile is small.
template <typename T>
__device__ void load_g_tile(const T* __restrict__ g, T* s, int ldg, std::int64_t n, int rank, int rank_pad,
                            std::int64_t r0) {
  for (int e = threadIdx.x; e < kTile * rank_pad; e += kThreads) {
    const int row = e / rank_pad, col = e % rank_pad;
    const std::int64_t gr = r0 + row;
    s[row * ldg + col] = gr < n && col < rank ? g[gr * rank + col] : T(0.0f);
  }
}

// The accumulators of a warp: 16 x 16 float blocks. The split kernels hold F of them, F = 4
// (ranks up to 64: half the registers, twice the blocks a SM) or kMaxFrags.
using Acc = wmma::fragment<wmma::accumulator, 16, 16, 16, float>;

// Zeroed accumulators, and the tiles [first, last) of this block's slice of `tiles` tiles.
struct Slice {
  std::int64_t first, last;
};
template <int F>
__device__ __forceinline__ Slice start_slice(Acc (&acc)[F], std::int64_t tiles, int tiles_per_slice) {
#pragma unroll
  for (int j = 0; j < F; ++j) wmma::fill_fragment(acc[j], 0.0f);
  const std::int64_t first = std::int64_t{blockIdx.y} * tiles_per_slice;
  return {first, std::min<std::int64_t>(first + tiles_per_slice, tiles)};
}

// ws[slice] (float, [n, rank]) = the slice's share of dropout(x) aᵀ for rows [64 bx, 64 bx + 64):
// the column tiles [tiles_per_slice by, ...) of x. Warp w owns rows 16 w.
template <typename T, int F>
__global__ void __launch_bounds__(kThreads)
    dropped_mm_kernel(const T* __restrict__ x, const T* __restrict__ a, float* __restrict__ ws, std::int64_t n,
                      std::int64_t k, int rank, int tiles_per_slice, DropParams d) {
  using W = typename Wmma<T>::type;
  extern __shared__ __align__(128) unsigned char smem[];
  T* xs = reinterpret_cast<T*>(smem);
  T* as = xs + kTile * kLd;
  const int warp = threadIdx.x / 32, rank_pad = padded(rank), frags = rank_pad / 16;
  const std::int64_t r0 = std::int64_t{blockIdx.x} * kTile;
  Acc acc[F];
  const Slice slice = start_slice(acc, (k + kTile - 1) / kTile, tiles_per_slice);
  for (std::int64_t t = slice.first; t < slice.last; ++t) {
    load_x_tile(x, xs, n, k, r0, t * kTile, d);
    load_a_tile(a, as, rank, rank_pad, k, t * kTile);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTile / 16; ++kk) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, W, wmma::row_major> fa;
      wmma::load_matrix_sync(fa, wm(xs + warp * 16 * kLd + kk * 16), kLd);
#pragma unroll
      for (int j = 0; j < F; ++j) {
        if (j < frags) {
          // aᵀ's [16 k, 16 r] block: a's rows j 16.. as a column-major matrix.
          wmma::fragment<wmma::matrix_b, 16, 16, 16, W, wmma::col_major> fb;
          wmma::load_matrix_sync(fb, wm(as + j * 16 * kLd + kk * 16), kLd);
          wmma::mma_sync(acc[j], fa, fb, acc[j]);
        }
      }
    }
    __syncthreads();
  }
  float* cs = reinterpret_cast<float*>(smem);  // the tiles are done with: [64, rank_pad + 4]
  const int ldc = rank_pad + 4;
#pragma unroll
  for (int j = 0; j < F; ++j)
    if (j < frags) wmma::store_matrix_sync(cs + warp * 16 * ldc + j * 16, acc[j], ldc, wmma::mem_row_major);
  __syncthreads();
  float* out = ws + std::int64_t{blockIdx.y} * n * rank;
  for (int e = threadIdx.x; e < kTile * rank; e += kThreads) {
    const int row = e / rank, col = e % rank;
    if (r0 + row < n) out[(r0 + row) * rank + col] = cs[row * ldc + col];
  }
}

// ws[slice] (float, [rank, k]) = the slice's share of gᵀ dropout(x) for columns [64 bx, 64 bx + 64):
// the row tiles [tiles_per_slice by, ...) of x and g. Warp w owns columns 16 w.
template <typename T, int F>
__global__ void __launch_bounds__(kThreads)
    mm_t_dropped_kernel(const T* __restrict__ g, const T* __restrict__ x, float* __restrict__ ws, std::int64_t n,
                        std::int64_t k, int rank, int tiles_per_slice, DropParams d) {
  using W = typename Wmma<T>::type;
  extern __shared__ __align__(128) unsigned char smem[];
  const int warp = threadIdx.x / 32, rank_pad = padded(rank), frags = rank_pad / 16, ldg = rank_pad + 8;
  T* xs = reinterpret_cast<T*>(smem);
  T* gs = xs + kTile * kLd;
  const std::int64_t c0 = std::int64_t{blockIdx.x} * kTile;
  Acc acc[F];
  const Slice slice = start_slice(acc, (n + kTile - 1) / kTile, tiles_per_slice);
  for (std::int64_t t = slice.first; t < slice.last; ++t) {
    load_x_tile(x, xs, n, k, t * kTile, c0, d);
    load_g_tile(g, gs, ldg, n, rank, rank_pad, t * kTile);
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTile / 16; ++kk) {
      wmma::fragment<wmma::matrix_b, 16, 16, 16, W, wmma::row_major> fb;
      wmma::load_matrix_sync(fb, wm(xs + kk * 16 * kLd + warp * 16), kLd);
#pragma unroll
      for (int j = 0; j < F; ++j) {
        if (j < frags) {
          // gᵀ's [16 r, 16 n] block: g's columns j 16.. as a column-major matrix.
          wmma::fragment<wmma::matrix_a, 16, 16, 16, W, wmma::col_major> fa;
          wmma::load_matrix_sync(fa, wm(gs + kk * 16 * ldg + j * 16), ldg);
          wmma::mma_sync(acc[j], fa, fb, acc[j]);
        }
      }
    }
    __syncthreads();
  }
  float* cs = reinterpret_cast<float*>(smem);  // [rank_pad, 68]
  constexpr int ldc = kTile + 4;
#pragma unroll
  for (int j = 0; j < F; ++j)
    if (j < frags) wmma::store_matrix_sync(cs + j * 16 * ldc + warp * 16, acc[j], ldc, wmma::mem_row_major);
  __syncthreads();
  float* out = ws + std::int64_t{blockIdx.y} * rank * k;
  for (int e = threadIdx.x; e < rank * kTile; e += kThreads) {
    const int row = e / kTile, col = e % kTile;
    if (c0 + col < k) out[row * k + c0 + col] = cs[row * ldc + col];
  }
}

// out's 64 x 64 tile at (64 bx, 64 by) = dropout(g a), or += it (Add). Warp w owns rows 16 w.
template <typename T, bool Add>
__global__ void __launch_bounds__(kThreads)
    mm_dropped_kernel(const T* __restrict__ g, const T* __restrict__ a, T* __restrict__ out, std::int64_t n,
                      std::int64_t k, int rank, DropParams d) {
  using W = typename Wmma<T>::type;
  extern __shared__ __align__(128) unsigned char smem[];
  const int warp = threadIdx.x / 32, rank_pad = padded(rank), ldg = rank_pad + 8;
  T* gs = reinterpret_cast<T*>(smem);
  T* as = gs + kTile * ldg;
  const std::int64_t r0 = std::int64_t{blockIdx.x} * kTile, c0 = std::int64_t{blockIdx.y} * kTile;
  load_g_tile(g, gs, ldg, n, rank, rank_pad, r0);
  load_a_tile(a, as, rank, rank_pad, k, c0);
  __syncthreads();
  Acc acc[kTile / 16];
#pragma unroll
  for (int c = 0; c < kTile / 16; ++c) wmma::fill_fragment(acc[c], 0.0f);
  for (int kk = 0; kk < rank_pad / 16; ++kk) {
    wmma::fragment<wmma::matrix_a, 16, 16, 16, W, wmma::row_major> fa;
    wmma::load_matrix_sync(fa, wm(gs + warp * 16 * ldg + kk * 16), ldg);
#pragma unroll
    for (int c = 0; c < kTile / 16; ++c) {
      wmma::fragment<wmma::matrix_b, 16, 16, 16, W, wmma::row_major> fb;
      wmma::load_matrix_sync(fb, wm(as + kk * 16 * kLd + c * 16), kLd);
      wmma::mma_sync(acc[c], fa, fb, acc[c]);
    }
  }
  __syncthreads();
  float* cs = reinterpret_cast<float*>(smem);  // [64, 68]
  constexpr int ldc = kTile + 4;
#pragma unroll
  for (int c = 0; c < kTile / 16; ++c)
    wmma::store_matrix_sync(cs + warp * 16 * ldc + c * 16, acc[c], ldc, wmma::mem_row_major);
  __syncthreads();
  for (int v = threadIdx.x; v < kTile * kTile / 8; v += kThreads) {
    const int row = v / (kTile / 8), col = v % (kTile / 8) * 8;
    const std::int64_t gr = r0 + row, gc = c0 + col;
    if (gr >= n || gc >= k) continue;
    const std::int64_t i = gr * k + gc;
    const uint4 r = detail::philox8(static_cast<std::uint64_t>(i / 8), d);
    Vec8<T> o;
    if (Add) o = *reinterpret_cast<const Vec8<T>*>(out + i);
#pragma unroll
    for (int e = 0; e < 8; ++e) {
      const T dropped = detail::drop(T(cs[row * ldc + col + e]), detail::kept(r, e, d.threshold), d.scale);
      o.v[e] = Add ? detail::add(o.v[e], dropped) : dropped;
    }
    *reinterpret_cast<Vec8<T>*>(out + i) = o;
  }
}

// out = the slices' float partial sums added in slice order, rounded to T once.
template <typename T>
__global__ void sum_slices_kernel(const float* __restrict__ ws, T* __restrict__ out, std::int64_t m, int slices) {
  const std::int64_t stride = std::int64_t{gridDim.x} * blockDim.x;
  for (std::int64_t i = std::int64_t{blockIdx.x} * blockDim.x + threadIdx.x; i < m; i += stride) {
    float s = 0.0f;
    for (int j = 0; j < slices; ++j) s += ws[j * m + i];
    out[i] = T(s);
  }
}

std::atomic<std::int64_t> calls{0};

bool aligned16(const at::Tensor& t) { return reinterpret_cast<std::uintptr_t>(t.data_ptr()) % 16 == 0; }

// t contiguous and 16-byte aligned (the tiles' vector loads), copied only when it is not.
at::Tensor vector_ready(const at::Tensor& t) {
  return t.is_contiguous() && aligned16(t) ? t : t.clone(at::MemoryFormat::Contiguous);
}

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Tiles per slice of a reduction over `tiles` tiles, for `outer` blocks across it: about 8
// blocks per SM in all, and no slice empty.
std::int64_t tiles_per_slice(std::int64_t outer, std::int64_t tiles) {
  const std::int64_t want = std::int64_t{at::cuda::getCurrentDeviceProperties()->multiProcessorCount} * 8;
  const std::int64_t slices = std::clamp<std::int64_t>(ceil_div(want, outer), 1, tiles);
  return ceil_div(tiles, slices);
}

template <typename T>
void sum_slices(const at::Tensor& ws, at::Tensor& out, cudaStream_t stream) {
  const std::int64_t m = out.numel();
  const auto blocks = static_cast<unsigned>(std::min<std::int64_t>(ceil_div(m, 256), 65535));
  sum_slices_kernel<T><<<blocks, 256, 0, stream>>>(ws.const_data_ptr<float>(), out.mutable_data_ptr<T>(), m,
                                                   static_cast<int>(ws.size(0)));
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

// Calls f(T{}) for t's dtype (bfloat16 or float16).
template <typename F>
void dispatch(const at::Tensor& t, F&& f) {
  switch (t.scalar_type()) {
    case at::kBFloat16: f(c10::BFloat16{}); break;
    case at::kHalf: f(c10::Half{}); break;
    default: throw std::invalid_argument("lora fused dropout GEMM: takes bfloat16 or float16 tensors");
  }
}

void check(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("lora fused dropout GEMM: ") + what);
}

}  // namespace

std::int64_t dropout_gemm_calls() { return calls.load(); }

bool dropout_gemm_sum_ok(const at::Tensor& acc, std::int64_t n, const at::Tensor& a) {
  return acc.dim() == 2 && acc.size(0) == n && acc.size(1) == a.size(1) && acc.scalar_type() == a.scalar_type() &&
         acc.device() == a.device() && acc.is_contiguous() && aligned16(acc);
}

bool dropout_gemm_supported(const at::Tensor& t, std::int64_t k, std::int64_t rank) {
  return t.is_cuda() && (t.scalar_type() == at::kBFloat16 || t.scalar_type() == at::kHalf) && k > 0 && k % 8 == 0 &&
         ceil_div(k, kTile) <= 65535 && rank >= 1 && rank <= kMaxRank;
}

at::Tensor dropped_mm(const at::Tensor& x_, const at::Tensor& a_, double p, PhiloxSeed s) {
  check(x_.dim() == 2 && a_.dim() == 2 && x_.size(1) == a_.size(1), "x must be [n, k] and a [rank, k]");
  check(a_.scalar_type() == x_.scalar_type() && a_.device() == x_.device(), "x and a must share dtype and device");
  check(dropout_gemm_supported(x_, x_.size(1), a_.size(0)), "unsupported dtype, device or shape");
  ++calls;
  const c10::cuda::CUDAGuard guard(x_.device());
  const at::Tensor x = vector_ready(x_), a = vector_ready(a_);
  const std::int64_t n = x.size(0), k = x.size(1);
  const int rank = static_cast<int>(a.size(0)), rank_pad = padded(rank);
  at::Tensor out = at::empty({n, rank}, x.options());
  if (n == 0) return out;
  const std::int64_t outer = ceil_div(n, kTile), tiles = ceil_div(k, kTile), per = tiles_per_slice(outer, tiles);
  const at::Tensor ws = at::empty({ceil_div(tiles, per), n, rank}, x.options().dtype(at::kFloat));
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  dispatch(x, [&](auto t) {
    using T = decltype(t);
    const std::size_t smem = std::max((kTile + rank_pad) * kLd * sizeof(T), kTile * (rank_pad + 4) * sizeof(float));
    const dim3 grid(static_cast<unsigned>(outer), static_cast<unsigned>(ws.size(0)));
    auto* kernel = rank_pad <= 64 ? dropped_mm_kernel<T, 4> : dropped_mm_kernel<T, kMaxFrags>;
    kernel<<<grid, kThreads, smem, stream>>>(x.const_data_ptr<T>(), a.const_data_ptr<T>(), ws.mutable_data_ptr<float>(),
                                             n, k, rank, static_cast<int>(per), detail::drop_params(p, s));
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    sum_slices<T>(ws, out, stream);
  });
  return out;
}

at::Tensor mm_t_dropped(const at::Tensor& g_, const at::Tensor& x_, double p, PhiloxSeed s) {
  check(g_.dim() == 2 && x_.dim() == 2 && g_.size(0) == x_.size(0), "g must be [n, rank] and x [n, k]");
  check(g_.scalar_type() == x_.scalar_type() && g_.device() == x_.device(), "g and x must share dtype and device");
  check(dropout_gemm_supported(x_, x_.size(1), g_.size(1)), "unsupported dtype, device or shape");
  ++calls;
  const c10::cuda::CUDAGuard guard(x_.device());
  const at::Tensor g = g_.contiguous(), x = vector_ready(x_);
  const std::int64_t n = x.size(0), k = x.size(1);
  const int rank = static_cast<int>(g.size(1)), rank_pad = padded(rank);
  at::Tensor out = at::empty({rank, k}, x.options());
  if (n == 0) return out.zero_();
  const std::int64_t outer = ceil_div(k, kTile), tiles = ceil_div(n, kTile), per = tiles_per_slice(outer, tiles);
  const at::Tensor ws = at::empty({ceil_div(tiles, per), rank, k}, x.options().dtype(at::kFloat));
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  dispatch(x, [&](auto t) {
    using T = decltype(t);
    const std::size_t smem =
        std::max((kTile * kLd + kTile * (rank_pad + 8)) * sizeof(T), rank_pad * (kTile + 4) * sizeof(float));
    const dim3 grid(static_cast<unsigned>(outer), static_cast<unsigned>(ws.size(0)));
    auto* kernel = rank_pad <= 64 ? mm_t_dropped_kernel<T, 4> : mm_t_dropped_kernel<T, kMaxFrags>;
    kernel<<<grid, kThreads, smem, stream>>>(g.const_data_ptr<T>(), x.const_data_ptr<T>(), ws.mutable_data_ptr<float>(),
                                             n, k, rank, static_cast<int>(per), detail::drop_params(p, s));
    C10_CUDA_KERNEL_LAUNCH_CHECK();
    sum_slices<T>(ws, out, stream);
  });
  return out;
}

at::Tensor mm_dropped(const at::Tensor& g_, const at::Tensor& a_, double p, PhiloxSeed s, const at::Tensor& acc) {
  check(g_.dim() == 2 && a_.dim() == 2 && g_.size(1) == a_.size(0), "g must be [n, rank] and a [rank, k]");
  check(g_.scalar_type() == a_.scalar_type() && g_.device() == a_.device(), "g and a must share dtype and device");
  check(dropout_gemm_supported(a_, a_.size(1), a_.size(0)), "unsupported dtype, device or shape");
  const std::int64_t n = g_.size(0), k = a_.size(1);
  if (acc.defined())
    check(dropout_gemm_sum_ok(acc, n, a_), "the sum must be a contiguous, 16-byte aligned [n, k] tensor of a's dtype and device");
  ++calls;
  const c10::cuda::CUDAGuard guard(a_.device());
  const at::Tensor g = g_.contiguous(), a = vector_ready(a_);
  const int rank = static_cast<int>(a.size(0)), rank_pad = padded(rank);
  at::Tensor out = acc.defined() ? acc : at::empty({n, k}, a.options());
  if (n == 0) return out;
  const cudaStream_t stream = at::cuda::getCurrentCUDAStream();
  const dim3 grid(static_cast<unsigned>(ceil_div(n, kTile)), static_cast<unsigned>(ceil_div(k, kTile)));
  dispatch(a, [&](auto t) {
    using T = decltype(t);
    const std::size_t smem =
        std::max((kTile * (rank_pad + 8) + rank_pad * kLd) * sizeof(T), kTile * (kTile + 4) * sizeof(float));
    const DropParams d = detail::drop_params(p, s);
    if (acc.defined())
      mm_dropped_kernel<T, true><<<grid, kThreads, smem, stream>>>(g.const_data_ptr<T>(), a.const_data_ptr<T>(),
                                                                   out.mutable_data_ptr<T>(), n, k, rank, d);
    else
      mm_dropped_kernel<T, false><<<grid, kThreads, smem, stream>>>(g.const_data_ptr<T>(), a.const_data_ptr<T>(),
                                                                    out.mutable_data_ptr<T>(), n, k, rank, d);
    C10_CUDA_KERNEL_LAUNCH_CHECK();
  });
  return out;
}

}  // namespace lora
