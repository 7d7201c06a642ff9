// The CPU replay of torch's CUDA mean (the double-quantisation offset). The fixtures pin its
// rounding (their nested_offset values); here: exactness where order cannot matter, accuracy
// elsewhere, and the reduction order on a case where it shows.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "quant/nf4.hpp"

using socrates::quant::torch_cuda_mean_f32;

TEST(TorchCudaMean, ExactWhenEverySumIsExact) {
  for (std::int64_t n : {1, 5, 64, 127, 128, 1000, 70000, 300000, 3000000}) {
    std::vector<float> x(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(i % 7);
    double s = 0;
    for (float v : x) s += v;
    const float want = static_cast<float>(s) * (1.0f / static_cast<float>(n));
    EXPECT_EQ(torch_cuda_mean_f32(x.data(), n), want) << n;
  }
}

TEST(TorchCudaMean, CloseToTheTrueMean) {
  std::uint32_t state = 1;
  for (std::int64_t n : {3, 100, 129, 5000, 200000, 1500000}) {
    std::vector<float> x(static_cast<std::size_t>(n));
    double s = 0;
    for (auto& v : x) {
      state = state * 1664525u + 1013904223u;
      v = static_cast<float>(state >> 8) / static_cast<float>(1 << 24);
      s += v;
    }
    EXPECT_NEAR(torch_cuda_mean_f32(x.data(), n), s / n, 1e-6 * (1 + std::log2(static_cast<double>(n)))) << n;
  }
}

TEST(TorchCudaMean, FollowsTheCudaReductionOrder) {
  // n = 7: 4 threads; thread t sums x[t] + x[t+4]; then (t0 + t2) + (t1 + t3); then * (1/7).
  // A left-to-right sum loses the 1s against 2^24 before -2^24 arrives; CUDA pairs x[0] with x[4].
  const float big = 16777216.0f;
  const float x[7] = {big, 1.0f, 1.0f, 1.0f, -big, 0.0f, 0.0f};
  const float t0 = x[0] + x[4], t1 = x[1] + x[5], t2 = x[2] + x[6], t3 = x[3];
  const float want = ((t0 + t2) + (t1 + t3)) * (1.0f / 7.0f);
  EXPECT_EQ(torch_cuda_mean_f32(x, 7), want);
  float sequential = 0;
  for (float v : x) sequential += v;
  EXPECT_NE(sequential / 7.0f, want);
}
