// torch.mean of a float32 CUDA tensor, reproduced on the CPU. bitsandbytes takes the double
// quantisation offset as absmax.mean() on the GPU; to write the same offset (and so the same
// codes and JSON) from the CPU we replay torch's reduction (ATen/native/cuda/Reduce.cuh,
// setReduceConfig + ReduceOp::run for a full reduction of a contiguous 1-D tensor) in float.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "quant/nf4.hpp"

namespace socrates::quant {

namespace {
std::int64_t last_pow2(std::int64_t n) {
  std::int64_t p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}
std::int64_t div_up(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// block_x_reduce: shared-memory halving down to a warp, then shfl_down with decreasing offsets.
float block_x_reduce(std::vector<float> v) {
  std::int64_t dim_x = static_cast<std::int64_t>(v.size());
  if (dim_x > 32) {
    for (std::int64_t off = dim_x / 2; off >= 32; off >>= 1)
      for (std::int64_t t = 0; t < off; ++t) v[t] = v[t] + v[t + off];
    dim_x = 32;
  }
  for (std::int64_t off = dim_x >> 1; off > 0; off >>= 1)
    for (std::int64_t t = 0; t + off < dim_x; ++t) v[t] = v[t] + v[t + off];
  return v[0];
}
}  // namespace

float torch_cuda_mean_f32(const float* x, std::int64_t n, int sm_count, int max_threads_per_sm) {
  if (n <= 0) return 0.0f;
  constexpr int kVec = 4;  // vt0 = input_vec_size = 4
  const bool vectorize = n >= 128;
  const std::int64_t dim0 = vectorize ? n / kVec : n;
  const std::int64_t width = dim0 < 512 ? last_pow2(dim0) : 512;  // block_width (block_height 1)
  std::int64_t step = width;                                        // input_mult[0] = 1
  const std::int64_t vpt = div_up(n, step);
  const bool split_warps = vpt >= 16;  // input_mult[1] = width; block_height is 1
  std::int64_t ctas = 1, cta_mult = 0;
  const std::int64_t target = static_cast<std::int64_t>(sm_count) * (max_threads_per_sm / width);
  if (split_warps && vpt >= 256 && 1 <= target) {
    ctas = std::max(std::min(target, div_up(vpt, 16)), div_up(vpt, 256));
    if (ctas > 1) {
      cta_mult = step;
      step *= ctas;
    }
  }

  auto thread_value = [&](std::int64_t t, std::int64_t c) -> float {
    std::int64_t idx = t + c * cta_mult;
    float acc[kVec] = {0.0f, 0.0f, 0.0f, 0.0f};
    if (vectorize) {
      while (idx * kVec + kVec - 1 < n) {
        for (int i = 0; i < kVec; ++i) acc[i] = acc[i] + x[idx * kVec + i];
        idx += step;
      }
      const std::int64_t tail = n - n % kVec + t;
      if (c == 0 && tail < n) acc[0] = acc[0] + x[tail];
    } else {
      while (idx + (kVec - 1) * step < n) {
        for (int i = 0; i < kVec; ++i) acc[i] = acc[i] + x[idx + i * step];
        idx += kVec * step;
      }
      for (int i = 0; i < kVec && idx < n; ++i, idx += step) acc[i] = acc[i] + x[idx];
    }
    return ((acc[0] + acc[1]) + acc[2]) + acc[3];
  };

  std::vector<float> partial(static_cast<std::size_t>(ctas));
  std::vector<float> lanes(static_cast<std::size_t>(width));
  for (std::int64_t c = 0; c < ctas; ++c) {
    for (std::int64_t t = 0; t < width; ++t) lanes[t] = thread_value(t, c);
    partial[c] = block_x_reduce(lanes);
  }
  float sum = partial[0];
  if (ctas > 1) {  // global_reduce: the last block folds the staging buffer per thread
    std::fill(lanes.begin(), lanes.end(), 0.0f);
    for (std::int64_t t = 0; t < width; ++t)
      for (std::int64_t o = t; o < ctas; o += width) lanes[t] = lanes[t] + partial[o];
    sum = block_x_reduce(lanes);
  }
  const float factor = 1.0f / static_cast<float>(n);  // MeanOps::project: acc * (1 / n)
  return sum * factor;
}

}  // namespace socrates::quant
