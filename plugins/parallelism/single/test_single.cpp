#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "log/logging.hpp"
#include "plugin/plugin_library.hpp"
#include "socrates/parallelism.hpp"

using namespace socrates;

namespace {
std::shared_ptr<Parallelism> make(int world_size = 1) {
  static auto lib = PluginLibrary::load(SOCRATES_PLUGIN_FILE);
  PluginContext ctx;
  ctx.logger = host_logger();
  ctx.world_size = world_size;
  return lib->create<Parallelism>(ctx);
}
}  // namespace

TEST(Single, ClipsToMaxNormLikeTorch) {
  auto par = make();
  at::Tensor a = at::zeros({2}).requires_grad_(true), b = at::zeros({1}).requires_grad_(true);
  a.mutable_grad() = at::tensor({3.0f, 0.0f});
  b.mutable_grad() = at::tensor({4.0f});
  auto params = par->setup({{"a", a}, {"b", b}});
  ASSERT_EQ(params.size(), 2u);
  EXPECT_DOUBLE_EQ(par->clip_grad_norm(1.0), 5.0);
  const double coef = 1.0 / (5.0 + 1e-6);
  EXPECT_NEAR(a.grad()[0].item<float>(), 3.0 * coef, 1e-6);
  EXPECT_NEAR(b.grad()[0].item<float>(), 4.0 * coef, 1e-6);
  // Below the limit: untouched, to the bit.
  const float before = b.grad()[0].item<float>();
  EXPECT_NEAR(par->clip_grad_norm(10.0), 1.0, 1e-5);
  EXPECT_EQ(b.grad()[0].item<float>(), before);
}

TEST(Single, NormOverMixedDtypesSkipsTensorsWithoutGradient) {
  auto par = make();
  at::Tensor a = at::zeros({3}).requires_grad_(true), b = at::zeros({2}, at::kBFloat16).requires_grad_(true);
  at::Tensor frozen = at::zeros({4}).requires_grad_(true);  // no gradient this step
  a.mutable_grad() = at::tensor({1.0f, 2.0f, 2.0f});
  b.mutable_grad() = at::tensor({6.0f, 0.0f}).to(at::kBFloat16);
  par->setup({{"a", a}, {"b", b}, {"frozen", frozen}});
  EXPECT_NEAR(par->clip_grad_norm(0.0), std::sqrt(9.0 + 36.0), 1e-6);  // max_norm 0: no clipping
  EXPECT_FLOAT_EQ(a.grad()[1].item<float>(), 2.0f);
  EXPECT_FALSE(frozen.grad().defined());
  EXPECT_NEAR(par->clip_grad_norm(1.0), std::sqrt(45.0), 1e-6);
  EXPECT_NEAR(b.grad()[0].item<float>(), 6.0 / (std::sqrt(45.0) + 1e-6), 2e-2);  // bf16 grad
}

TEST(Single, RefusesSeveralProcesses) {
  EXPECT_THAT([] { make(4); }, testing::ThrowsMessage<ConfigError>(testing::HasSubstr("WORLD_SIZE=4")));
}

TEST(Single, IsRankZeroOfOne) {
  auto par = make();
  EXPECT_EQ(par->rank(), 0);
  EXPECT_EQ(par->world_size(), 1);
  at::Tensor t = at::ones({3});
  par->all_reduce_sum(t);
  EXPECT_TRUE(at::equal(t, at::ones({3})));
}
