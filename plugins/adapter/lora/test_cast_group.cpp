// CastGroup: an adapter's parameters cast together, and the copies' gradients brought back
// at the end of each backward, with the values of a cast per parameter and its own backward.
#include <gtest/gtest.h>

#include <vector>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "cast_group.hpp"

namespace {

struct Params {
  std::vector<at::Tensor> p;
  explicit Params(c10::Device device) {
    at::manual_seed(3);
    const auto opt = at::TensorOptions().device(device);
    p = {at::randn({4, 6}, opt), at::randn({6, 4}, opt), at::randn({4}, opt)};
    for (auto& t : p) t.requires_grad_(true);
  }
  Params clone() const {
    Params c = *this;
    for (auto& t : c.p) t = t.detach().clone().requires_grad_(true);
    return c;
  }
};

// Uses the first parameter's copy twice in one graph, so that it sums two gradients (as
// autocast's weight cache does with a weight used twice).
template <class Get>
at::Tensor loss(const at::Tensor& x, Get get) {
  const at::Tensor c0 = get(0);
  const at::Tensor y = at::linear(at::linear(x, c0), get(1));
  const at::Tensor z = at::linear(y, c0) + get(2);
  return (z.to(at::kFloat) * at::arange(z.numel(), z.options().dtype(at::kFloat)).view(z.sizes())).sum();
}

void check_cast_group(c10::Device device) {
  Params ours(device);
  Params ref = ours.clone();
  lora::CastGroup group;
  for (const auto& t : ours.p) group.add(t);
  const at::Tensor x = at::randn({3, 6}, at::TensorOptions().device(device)).to(at::kBFloat16);
  auto by_group = [&](int i) { return group.get(static_cast<std::size_t>(i), at::kBFloat16); };
  auto by_cast = [&](int i) { return ref.p[static_cast<std::size_t>(i)].to(at::kBFloat16); };

  // The copies are the casts, and a parameter already in the dtype is itself.
  EXPECT_TRUE(at::equal(by_group(1), ours.p[1].detach().to(at::kBFloat16)));
  EXPECT_TRUE(group.get(1, at::kFloat).is_same(ours.p[1]));

  // Two backward passes (two micro-batches): the float32 gradients equal the cast's own
  // backward bit for bit, and are there when backward() returns.
  for (int pass = 0; pass < 2; ++pass) {
    loss(x, by_group).backward();
    loss(x, by_cast).backward();
    for (std::size_t i = 0; i < ours.p.size(); ++i) {
      ASSERT_TRUE(ours.p[i].grad().defined()) << "pass " << pass << ", parameter " << i;
      EXPECT_EQ(ours.p[i].grad().scalar_type(), at::kFloat);
      EXPECT_TRUE(at::equal(ours.p[i].grad(), ref.p[i].grad())) << "pass " << pass << ", parameter " << i;
    }
  }

  // An in-place update between two forward passes of one graph: the copies are written again
  // in place, so backward refuses the first pass's saved copies (autograd's version check)
  // instead of computing with the new values. The next backward brings its own gradients and
  // nothing of the failed one.
  for (auto* ps : {&ours, &ref})
    for (auto& t : ps->p) t.mutable_grad() = at::Tensor();
  at::Tensor l1 = loss(x, by_group);
  {
    at::NoGradGuard g;
    ours.p[0].add_(0.5);
    ref.p[0].add_(0.5);
  }
  EXPECT_TRUE(at::equal(by_group(0), ours.p[0].detach().to(at::kBFloat16))) << "the update is seen";
  EXPECT_THROW((l1 + loss(x, by_group)).backward(), c10::Error);
  for (auto* ps : {&ours, &ref})
    for (auto& t : ps->p) t.mutable_grad() = at::Tensor();
  loss(x, by_group).backward();
  loss(x, by_cast).backward();
  for (std::size_t i = 0; i < ours.p.size(); ++i)
    EXPECT_TRUE(at::equal(ours.p[i].grad(), ref.p[i].grad())) << "after a failed backward, parameter " << i;

  // Another dtype makes new copies while a graph holds the old ones: each parameter then gets
  // two gradients in one backward, from both.
  for (auto* ps : {&ours, &ref})
    for (auto& t : ps->p) t.mutable_grad() = at::Tensor();
  auto half_by_group = [&](int i) { return group.get(static_cast<std::size_t>(i), at::kHalf); };
  auto half_by_cast = [&](int i) { return ref.p[static_cast<std::size_t>(i)].to(at::kHalf); };
  const at::Tensor xh = x.to(at::kHalf);
  (loss(x, by_group) + loss(xh, half_by_group)).backward();
  (loss(x, by_cast) + loss(xh, half_by_cast)).backward();
  for (std::size_t i = 0; i < ours.p.size(); ++i)
    EXPECT_TRUE(at::equal(ours.p[i].grad(), ref.p[i].grad())) << "two dtypes, parameter " << i;

  // A write that bumps no version (raw optimizer kernels) after a backward is seen too.
  ours.p[2].data().add_(0.25);
  EXPECT_TRUE(at::equal(by_group(2), ours.p[2].detach().to(at::kBFloat16)));
}

TEST(LoraCastGroup, CastsTogetherAndGivesTheCastsOwnGradients) { check_cast_group(c10::kCPU); }

TEST(LoraGpu, CastGroupCastsTogetherAndGivesTheCastsOwnGradients) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  check_cast_group(c10::Device(c10::kCUDA, 0));
}

}  // namespace
