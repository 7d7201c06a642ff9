// The chunked LM head + cross-entropy against the unfused path it replaces
// (cross_entropy(float(h · wᵀ)), autograd's backward): loss and gradient, float32 and bf16,
// chunks that do not divide the rows, CPU here and CUDA on the GPU machine.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/Context.h>
#include <ATen/core/grad_mode.h>

#include "model/chunked_cross_entropy.hpp"
#include "socrates/error.hpp"

using namespace socrates;

namespace {

struct Case {
  at::Tensor h, w, t;
};

// Logits of a realistic spread (a few units), so the softmax is neither flat nor one-hot.
Case make_case(c10::ScalarType dtype, const c10::Device& device, std::int64_t n = 37, std::int64_t hidden = 24,
               std::int64_t vocab = 301) {
  at::manual_seed(7);
  Case c;
  c.h = at::randn({n, hidden}).to(device, dtype);
  c.w = (at::randn({vocab, hidden}) * 0.4).to(device, dtype);
  c.t = at::randint(vocab, {n}, at::TensorOptions().dtype(at::kLong)).to(device);
  return c;
}

struct Result {
  at::Tensor loss, grad;
};

// The loss scaled as the trainer does (divided by the tokens of the batch) before backward.
Result reference(const Case& c, double scale) {
  at::Tensor h = c.h.detach().clone().requires_grad_(true);
  at::Tensor loss = at::cross_entropy_loss(at::linear(h, c.w).to(at::kFloat), c.t, std::nullopt, at::Reduction::Sum);
  (loss * scale).backward();
  return {loss.detach().cpu().to(at::kDouble), h.grad().cpu().to(at::kDouble)};
}

Result chunked(const Case& c, double scale, std::int64_t rows) {
  at::Tensor h = c.h.detach().clone().requires_grad_(true);
  at::Tensor loss = chunked_linear_cross_entropy(h, c.w, c.t, rows);
  (loss * scale).backward();
  return {loss.detach().cpu().to(at::kDouble), h.grad().cpu().to(at::kDouble)};
}

double rel(const at::Tensor& got, const at::Tensor& want) {
  return (got - want).abs().max().item<double>() / want.abs().max().item<double>();
}

void expect_matches(c10::ScalarType dtype, const c10::Device& device, double loss_tol, double grad_tol) {
  Case c = make_case(dtype, device);
  const double scale = 1.0 / 37;
  Result want = reference(c, scale);
  for (std::int64_t rows : {1, 5, 36, 37, 1000, 0}) {
    Result got = chunked(c, scale, rows);
    EXPECT_LE(rel(got.loss, want.loss), loss_tol) << "rows " << rows;
    EXPECT_LE(rel(got.grad, want.grad), grad_tol) << "rows " << rows;
  }
}

}  // namespace

TEST(ChunkedCrossEntropy, Float32MatchesTheUnfusedLossAndGradient) {
  expect_matches(at::kFloat, c10::Device("cpu"), 1e-6, 1e-5);
}

// bf16: the same logits; the gradient is rounded to bf16 before it is scaled (the unfused
// path scales first), one bf16 step apart at most.
TEST(ChunkedCrossEntropy, Bfloat16MatchesTheUnfusedLossAndGradient) {
  expect_matches(at::kBFloat16, c10::Device("cpu"), 1e-5, 2.0 / 256);
}

TEST(ChunkedCrossEntropy, WithoutGradModeItIsTheSameLossAndBuildsNoGraph) {
  Case c = make_case(at::kFloat, c10::Device("cpu"));
  Result want = reference(c, 1.0);
  at::NoGradGuard g;
  at::Tensor h = c.h.clone().requires_grad_(true);
  at::Tensor loss = chunked_linear_cross_entropy(h, c.w, c.t, 4);
  EXPECT_FALSE(loss.requires_grad());
  EXPECT_LE(rel(loss.cpu().to(at::kDouble), want.loss), 1e-6);
}

TEST(ChunkedCrossEntropy, RejectsATrainableHeadAndWrongShapes) {
  Case c = make_case(at::kFloat, c10::Device("cpu"));
  EXPECT_THROW(chunked_linear_cross_entropy(c.h, c.w.clone().requires_grad_(true), c.t), Error);
  EXPECT_THROW(chunked_linear_cross_entropy(c.h, c.w.narrow(1, 0, 10), c.t), Error);
  EXPECT_THROW(chunked_linear_cross_entropy(c.h, c.w, c.t.narrow(0, 0, 5)), Error);
}

TEST(ChunkedCrossEntropyGpu, MatchesTheUnfusedPathOnCuda) {
  if (!at::globalContext().hasCUDA()) GTEST_SKIP() << "no CUDA device";
  expect_matches(at::kFloat, c10::Device("cuda"), 1e-5, 1e-4);  // TF32 is off by default in LibTorch
  expect_matches(at::kBFloat16, c10::Device("cuda"), 1e-5, 2.0 / 256);
}
