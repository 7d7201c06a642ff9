// The fused CUDA kernels of the model against the unfused ATen paths they replace, forward
// and autograd's backward (skipped without CUDA; run on the GPU machine).
// - SwiGLU: the same bits forward and for d up; d gate within one rounding step, since the
//   compiler may contract silu's derivative into an FMA differently from PyTorch's build.
//   Sizes that take the 16-byte path, odd sizes and misaligned views (the scalar path).
// - RoPE: the same bits forward and backward, on q/k's transposed layout and a contiguous one.
// - RMSNorm's weight (row_scale): the same bits forward and backward as w * x.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/Context.h>

#include "model/rope.hpp"
#include "model/row_scale.hpp"
#include "model/swiglu.hpp"

using namespace socrates;

namespace {

struct Grads {
  at::Tensor out, dgate, dup;
};

Grads run(const at::Tensor& g0, const at::Tensor& u0, const at::Tensor& dy, bool fused) {
  at::Tensor g = g0.detach().clone().requires_grad_(true), u = u0.detach().clone().requires_grad_(true);
  at::Tensor out = fused ? swiglu(g, u) : at::silu(g) * u;
  out.backward(dy);
  return {out.detach(), g.grad(), u.grad()};
}

// Max difference in units of the dtype's rounding step at each value.
double max_steps(const at::Tensor& got, const at::Tensor& want) {
  const double eps = want.scalar_type() == at::kBFloat16 ? 1.0 / 128 : want.scalar_type() == at::kHalf ? 1.0 / 1024 : 1.2e-7;
  at::Tensor w = want.to(at::kDouble), d = (got.to(at::kDouble) - w).abs();
  return (d / (w.abs() * eps).clamp_min(1e-30)).max().item<double>();
}

}  // namespace

TEST(SwiGlu, TheCpuTakesTheUnfusedPath) {
  at::Tensor g = at::randn({4, 8}), u = at::randn({4, 8});
  EXPECT_FALSE(swiglu_fused(g, u));
  EXPECT_TRUE(at::equal(swiglu(g, u), at::silu(g) * u));
}

TEST(SwiGluGpu, FusedKernelsGiveTheUnfusedPathsBits) {
  if (!at::globalContext().hasCUDA()) GTEST_SKIP() << "no CUDA device";
  at::manual_seed(3);
  for (auto dtype : {at::kFloat, at::kBFloat16, at::kHalf}) {
    for (std::int64_t n : {std::int64_t{4096} * 96, std::int64_t{1001}, std::int64_t{7}}) {
      for (bool misaligned : {false, true}) {
        auto make = [&] {
          at::Tensor t = (at::randn({n + 1}) * 4).to(at::Device("cuda"), dtype);
          return misaligned ? t.narrow(0, 1, n) : t.narrow(0, 0, n);
        };
        at::Tensor g = make(), u = make(), dy = make();
        SCOPED_TRACE(::testing::Message() << dtype << " n " << n << (misaligned ? " misaligned" : ""));
        ASSERT_TRUE(swiglu_fused(g, u));
        Grads want = run(g, u, dy, false), got = run(g, u, dy, true);
        EXPECT_TRUE(at::equal(got.out, want.out)) << "forward, max steps " << max_steps(got.out, want.out);
        EXPECT_TRUE(at::equal(got.dup, want.dup)) << "d up, max steps " << max_steps(got.dup, want.dup);
        const double steps = max_steps(got.dgate, want.dgate);
        const auto differing = got.dgate.ne(want.dgate).sum().item<std::int64_t>();
        EXPECT_LE(steps, 1.0) << differing << " of " << n << " d gate values differ";
        if (differing) std::cout << "d gate: " << differing << " of " << n << " differ, at most " << steps << " steps\n";
      }
    }
  }
}

// The MLP of a model on CUDA takes the fused path: a non-contiguous gate falls back.
TEST(SwiGluGpu, OnlyContiguousInputsOfOneShapeAndDtypeAreFused) {
  if (!at::globalContext().hasCUDA()) GTEST_SKIP() << "no CUDA device";
  at::Tensor g = at::randn({8, 16}, at::Device("cuda")), u = at::randn({8, 16}, at::Device("cuda"));
  EXPECT_TRUE(swiglu_fused(g, u));
  EXPECT_FALSE(swiglu_fused(g.t(), u.t()));
  EXPECT_FALSE(swiglu_fused(g, u.to(at::kBFloat16)));
  EXPECT_FALSE(swiglu_fused(g.to(at::kDouble), u.to(at::kDouble)));
  EXPECT_TRUE(at::equal(swiglu(g.t(), u.t()), at::silu(g.t()) * u.t()));
}

namespace {

// apply_rope's unfused formula, as transformers writes it.
at::Tensor rope_reference(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const std::int64_t half = x.size(-1) / 2;
  at::Tensor rotated = at::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos.unsqueeze(1) + rotated * sin.unsqueeze(1);
}

}  // namespace

TEST(RopeGpu, FusedKernelsGiveTheUnfusedPathsBits) {
  if (!at::globalContext().hasCUDA()) GTEST_SKIP() << "no CUDA device";
  at::manual_seed(5);
  const std::int64_t B = 3, T = 37, H = 4, D = 64;
  at::Tensor inv = 1.0 / at::pow(10000.0, at::arange(0, D, 2, at::kLong).to(at::kFloat) / double(D));
  for (auto dtype : {at::kFloat, at::kBFloat16, at::kHalf}) {
    for (bool shared_positions : {false, true}) {
      at::Tensor pos = shared_positions ? at::arange(T, at::kLong).unsqueeze(0)
                                        : at::randint(0, 4000, {B, T}, at::TensorOptions().dtype(at::kLong));
      auto [cos, sin] = rope_cos_sin(inv, pos.to(at::Device("cuda")), dtype);
      for (bool transposed : {true, false}) {
        SCOPED_TRACE(::testing::Message() << dtype << (shared_positions ? " shared positions" : "")
                                          << (transposed ? " [B,T,H,D] memory" : " contiguous"));
        at::Tensor x0 = transposed ? at::randn({B, T, H, D}).transpose(1, 2) : at::randn({B, H, T, D});
        x0 = x0.to(at::Device("cuda"), dtype);
        at::Tensor dy = at::randn({B, H, T, D}).to(at::Device("cuda"), dtype);
        ASSERT_TRUE(rope_fused(x0, cos, sin));
        at::Tensor xa = x0.clone().requires_grad_(true), xb = x0.clone().requires_grad_(true);
        at::Tensor want = rope_reference(xa, cos, sin), got = apply_rope(xb, cos, sin);
        want.backward(dy);
        got.backward(dy);
        EXPECT_TRUE(at::equal(got, want)) << "forward, max |diff| " << (got - want).abs().max().item<double>();
        EXPECT_TRUE(at::equal(xb.grad(), xa.grad()))
            << "backward, max |diff| " << (xb.grad() - xa.grad()).abs().max().item<double>();
      }
    }
  }
}

TEST(RopeGpu, CosAndSinOfAnotherDtypeOrWithAGradientAreNotFused) {
  if (!at::globalContext().hasCUDA()) GTEST_SKIP() << "no CUDA device";
  at::Tensor x = at::randn({2, 2, 5, 8}, at::Device("cuda")), c = at::randn({2, 5, 8}, at::Device("cuda"));
  EXPECT_TRUE(rope_fused(x, c, c));
  EXPECT_FALSE(rope_fused(x, c.to(at::kBFloat16), c.to(at::kBFloat16)));
  EXPECT_FALSE(rope_fused(x, c.clone().requires_grad_(true), c));
  EXPECT_FALSE(rope_fused(x.cpu(), c.cpu(), c.cpu()));
}

TEST(RowScale, TheCpuAndATrainableWeightTakeTheUnfusedPath) {
  at::Tensor x = at::randn({4, 8}), w = at::randn({8});
  EXPECT_FALSE(row_scale_fused(x, w));
  EXPECT_TRUE(at::equal(row_scale(x, w), w * x));
  if (!at::globalContext().hasCUDA()) return;
  at::Tensor xc = x.to(at::Device("cuda")), wc = w.to(at::Device("cuda"));
  EXPECT_TRUE(row_scale_fused(xc, wc));
  EXPECT_FALSE(row_scale_fused(xc, wc.clone().requires_grad_(true)));
  EXPECT_FALSE(row_scale_fused(xc.t(), wc.narrow(0, 0, 4)));
  EXPECT_FALSE(row_scale_fused(xc, wc.to(at::kBFloat16)));
}

TEST(RowScaleGpu, FusedKernelGivesTheMultiplysBits) {
  if (!at::globalContext().hasCUDA()) GTEST_SKIP() << "no CUDA device";
  at::manual_seed(5);
  for (auto dtype : {at::kFloat, at::kBFloat16, at::kHalf}) {
    // Rows that take the 16-byte path, a row size that does not, and a misaligned x.
    for (auto [rows, h, misaligned] : {std::tuple{512, 896, false}, std::tuple{33, 7, false}, std::tuple{64, 64, true}}) {
      SCOPED_TRACE(::testing::Message() << dtype << " " << rows << " x " << h << (misaligned ? " misaligned" : ""));
      const auto cuda = at::TensorOptions().device(at::Device("cuda"));
      const at::Tensor flat = (at::randn({rows * h + 1}, cuda) * 3).to(dtype);
      const at::Tensor fa = flat.clone().requires_grad_(true), fb = flat.clone().requires_grad_(true);
      auto x_of = [&](const at::Tensor& f) { return f.narrow(0, misaligned ? 1 : 0, rows * h).view({rows, h}); };
      at::Tensor w = (at::randn({h}, cuda) + 1).to(dtype), dy = at::randn({rows, h}, cuda).to(dtype);
      ASSERT_TRUE(row_scale_fused(x_of(fb), w));
      at::Tensor want = w * x_of(fa), got = row_scale(x_of(fb), w);
      want.backward(dy);
      got.backward(dy);
      EXPECT_TRUE(at::equal(got, want)) << "forward, max steps " << max_steps(got.detach(), want.detach());
      EXPECT_TRUE(at::equal(fb.grad(), fa.grad())) << "backward, max steps " << max_steps(fb.grad(), fa.grad());
    }
  }
}
