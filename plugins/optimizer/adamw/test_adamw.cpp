#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "log/logging.hpp"
#include "plugin/components.hpp"
#include "plugin/plugin_library.hpp"
#include "socrates/optimizer.hpp"

using namespace socrates;

namespace {
std::shared_ptr<Optimizer> make(Table cfg = {}) {
  static auto lib = PluginLibrary::load(SOCRATES_PLUGIN_FILE);
  PluginContext ctx = standalone_context(*lib, "optimizer", std::move(cfg));
  return lib->create<Optimizer>(ctx);
}
}  // namespace

TEST(AdamW, FirstStepMatchesHandComputation) {
  auto opt = make();
  at::Tensor p = at::ones({1}).requires_grad_(true);
  p.mutable_grad() = at::full({1}, 0.5);
  opt->init({{"p", p}});
  opt->step(0.1);
  // decay: 1*(1-0.1*0.1)=0.99; m=0.05, v=0.00025; m_hat=0.5, sqrt(v_hat)=0.5 -> update 0.1
  EXPECT_NEAR(p.item<float>(), 0.99f - 0.1f, 1e-6);
}

TEST(AdamW, MatchesReferenceFormulaOverSeveralSteps) {
  for (const bool fused : {true, false}) {
    auto opt = make(Table{{"weight_decay", 0.01}, {"betas", Array{0.8, 0.99}}, {"eps", 1e-6}, {"fused", fused}});
    at::manual_seed(0);
    at::Tensor p = at::randn({4, 3}).requires_grad_(true);
    at::Tensor ref = p.detach().clone().to(at::kDouble), m = at::zeros_like(ref), v = at::zeros_like(ref);
    opt->init({{"w", p}});
    for (int t = 1; t <= 5; ++t) {
      at::Tensor g = at::randn({4, 3});
      p.mutable_grad() = g;
      const double lr = 1e-2 * t;
      opt->step(lr);
      at::Tensor gd = g.to(at::kDouble);
      ref = ref * (1 - lr * 0.01);
      m = 0.8 * m + 0.2 * gd;
      v = 0.99 * v + 0.01 * gd * gd;
      ref = ref - lr * (m / (1 - std::pow(0.8, t))) / ((v / (1 - std::pow(0.99, t))).sqrt() + 1e-6);
    }
    EXPECT_TRUE(at::allclose(p.detach().to(at::kDouble), ref, 1e-5, 1e-6)) << "fused " << fused;
  }
}

// Each parameter to its path: float32 ones to the fused kernel, a bfloat16 one (updated through
// a float32 copy) to the multi-tensor path; both paths agree to rounding, step by step, also
// when a step's gradient is not contiguous (the path, and so the step count, stay the
// parameter's). Every step bumps each updated parameter's version, as an in-place op does.
static void expect_paths_agree(c10::Device device) {
  at::manual_seed(2);
  const auto opts = at::TensorOptions().device(device);
  const std::vector<at::Tensor> init{at::randn({6, 4}, opts), at::randn({3}, opts),
                                     at::randn({5}, opts).to(at::kBFloat16)};
  std::vector<std::vector<at::Tensor>> params(2);
  std::vector<std::shared_ptr<Optimizer>> opt;
  for (int k = 0; k < 2; ++k) {
    std::vector<NamedTensor> named;
    for (std::size_t i = 0; i < init.size(); ++i) {
      params[k].push_back(init[i].clone().requires_grad_(true));
      named.emplace_back("p" + std::to_string(i), params[k].back());
    }
    opt.push_back(make(Table{{"fused", k == 0}, {"weight_decay", 0.05}}));
    opt.back()->init(named);
  }
  for (int t = 1; t <= 5; ++t) {
    for (std::size_t i = 0; i < init.size(); ++i) {
      at::Tensor g = at::randn(init[i].sizes(), opts).to(init[i].scalar_type());
      if (init[i].dim() == 2 && (t == 2 || t == 3)) g = at::randn({init[i].size(1), init[i].size(0)}, opts).t();
      for (int k = 0; k < 2; ++k) params[k][i].mutable_grad() = g.clone();
      ASSERT_EQ(params[0][i].grad().is_contiguous(), g.is_contiguous());
    }
    std::vector<std::int64_t> versions;
    for (int k = 0; k < 2; ++k)
      for (const at::Tensor& p : params[k]) versions.push_back(p._version());
    for (auto& o : opt) o->step(1e-2 * t);
    std::size_t n = 0;
    for (int k = 0; k < 2; ++k)
      for (const at::Tensor& p : params[k]) EXPECT_GT(p._version(), versions[n++]) << "fused " << (k == 0);
    for (std::size_t i = 0; i < init.size(); ++i) {
      const double tol = init[i].scalar_type() == at::kBFloat16 ? 1e-2 : 1e-6;
      EXPECT_TRUE(at::allclose(params[0][i].to(at::kFloat), params[1][i].to(at::kFloat), tol, tol))
          << "p" << i << " step " << t << " on " << device;
      EXPECT_FALSE(at::equal(params[0][i], init[i])) << "p" << i << " moved";
    }
  }
  const StateDict a = opt[0]->state(), b = opt[1]->state();
  EXPECT_EQ(a.meta, b.meta);
  for (const auto& [k, t] : a.tensors) EXPECT_TRUE(at::allclose(t, b.tensors.at(k), 1e-6, 1e-6)) << k;
}

TEST(AdamW, FusedAndMultiTensorPathsAgree) { expect_paths_agree(c10::kCPU); }

TEST(AdamWCuda, FusedAndMultiTensorPathsAgree) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  expect_paths_agree(c10::Device(c10::kCUDA, 0));
}

TEST(AdamW, SaveAndRestoreContinuesExactly) {
  for (const bool fused : {true, false}) {
    at::manual_seed(1);
    at::Tensor init = at::randn({5});
    std::vector<at::Tensor> grads;
    for (int i = 0; i < 4; ++i) grads.push_back(at::randn({5}));

    auto a = make(Table{{"fused", fused}});
    at::Tensor pa = init.clone().requires_grad_(true);
    a->init({{"x", pa}});
    for (auto& g : grads) pa.mutable_grad() = g, a->step(1e-2);

    auto b = make(Table{{"fused", fused}});
    at::Tensor pb = init.clone().requires_grad_(true);
    b->init({{"x", pb}});
    for (int i = 0; i < 2; ++i) pb.mutable_grad() = grads[i], b->step(1e-2);
    StateDict saved = b->state();
    for (auto& [k, t] : saved.tensors) t = t.clone();
    auto c = make(Table{{"fused", fused}});
    at::Tensor pc = pb.detach().clone().requires_grad_(true);
    c->init({{"x", pc}});
    c->load_state(saved);
    for (int i = 2; i < 4; ++i) pc.mutable_grad() = grads[i], c->step(1e-2);
    EXPECT_TRUE(at::equal(pa, pc)) << "fused " << fused;
  }
}

TEST(AdamW, SkipsParametersWithoutGradient) {
  auto opt = make();
  at::Tensor p = at::ones({2}).requires_grad_(true);
  opt->init({{"p", p}});
  opt->step(0.1);
  EXPECT_TRUE(at::equal(p, at::ones({2})));
  EXPECT_EQ(opt->state().meta.at("p.step"), "0");
}

TEST(AdamW, RejectsBadOptions) {
  EXPECT_THAT([] { make(Table{{"betas", Array{0.9}}}); },
              testing::ThrowsMessage<ConfigError>(testing::HasSubstr("'optimizer.betas': needs exactly two values")));
  EXPECT_THAT([] { make(Table{{"eps", 0.0}}); },
              testing::ThrowsMessage<ConfigError>(testing::HasSubstr("'optimizer.eps': must be > 0")));
}

TEST(AdamW, LoadStateNamesMissingTensor) {
  auto opt = make();
  at::Tensor p = at::ones({2}).requires_grad_(true);
  opt->init({{"p", p}});
  EXPECT_THAT([&] { opt->load_state(StateDict{}); },
              testing::ThrowsMessage<Error>(testing::HasSubstr("missing tensor 'p.exp_avg'")));
}
