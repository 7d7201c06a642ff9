// Golden tests against transformers on every model fixture: base logits and loss (fp32
// CPU, relative error <= 1e-4) and greedy generation (exact).
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "fixtures.hpp"
#include "generate/generation.hpp"
#include "io/safetensors_model.hpp"
#include "model/causal_lm.hpp"
#include "model/loss.hpp"

namespace fs = std::filesystem;
using namespace socrates;
using namespace socrates::testing_fixtures;

namespace {

double rel_error(const at::Tensor& got, const at::Tensor& want) {
  return (got.to(at::kDouble) - want.to(at::kDouble)).abs().max().item<double>() /
         want.to(at::kDouble).abs().max().item<double>();
}

std::vector<std::int64_t> row(const at::Tensor& t) {
  at::Tensor c = t.to(at::kLong).contiguous();
  return std::vector<std::int64_t>(c.data_ptr<std::int64_t>(), c.data_ptr<std::int64_t>() + c.numel());
}

class ModelGolden : public ::testing::TestWithParam<fs::path> {
 protected:
  void SetUp() override {
    dir_ = GetParam();
    model_ = CausalLM::load(dir_ / "model", c10::kCPU, at::kFloat);
    ref_ = std::make_unique<SafetensorsModel>(SafetensorsModel::open(dir_ / "reference.safetensors"));
  }
  at::Tensor ref(const std::string& name) { return ref_->load(name); }

  fs::path dir_;
  std::unique_ptr<CausalLM> model_;
  std::unique_ptr<SafetensorsModel> ref_;
};

TEST_P(ModelGolden, BaseLogitsAndLossMatchTransformers) {
  at::NoGradGuard g;
  at::Tensor ids = ref("input_ids");
  at::Tensor hidden = model_->forward(ids);
  at::Tensor logits = model_->logits(hidden);
  at::Tensor want = ref("base_logits");
  ASSERT_EQ(logits.sizes(), want.sizes());
  EXPECT_LE(rel_error(logits, want), 1e-4) << dir_;

  LossSum loss = causal_lm_loss(*model_, hidden, ref("labels"));
  const double mean = loss.sum.item<double>() / static_cast<double>(loss.tokens);
  const double want_loss = ref("base_loss").item<double>();
  EXPECT_LE(std::abs(mean - want_loss) / std::abs(want_loss), 1e-4) << mean << " vs " << want_loss;
  EXPECT_EQ(loss.tokens, (ref("labels").narrow(1, 1, ids.size(1) - 1) != -100).sum().item<std::int64_t>());
}

TEST_P(ModelGolden, GreedyGenerationMatchesTransformers) {
  const auto readme = fixture_readme(dir_);
  at::Tensor prompt = ref("gen_prompt");
  at::Tensor want = ref("gen_base");
  ASSERT_EQ(prompt.size(0), want.size(0));
  SamplingParams p;
  p.max_new_tokens = readme.at("generate").at("max_new_tokens").get<std::int64_t>();
  p.stop_ids = model_->config().eos_token_ids;
  std::vector<std::vector<std::int64_t>> prompts;
  for (std::int64_t b = 0; b < prompt.size(0); ++b) prompts.push_back(row(prompt[b]));
  Generation gen = generate(*model_, prompts, p);
  for (std::int64_t b = 0; b < want.size(0); ++b) {
    std::vector<std::int64_t> w = row(want[b]);
    // transformers pads finished rows with the pad/eos id; compare up to our stop token.
    std::vector<std::int64_t> got = gen.tokens[b];
    ASSERT_LE(got.size(), w.size());
    EXPECT_EQ(got, std::vector<std::int64_t>(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(got.size())));
    if (!gen.stopped[b]) EXPECT_EQ(got.size(), w.size());
  }
}

TEST_P(ModelGolden, PaddedBatchGenerationEqualsOneByOne) {
  at::Tensor ids = ref("input_ids");
  std::vector<std::int64_t> a = row(ids[0]);
  std::vector<std::int64_t> b(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(a.size() / 2));
  SamplingParams p;
  p.max_new_tokens = 6;
  Generation both = generate(*model_, {a, b}, p);
  EXPECT_EQ(both.tokens[0], generate(*model_, {a}, p).tokens[0]);
  EXPECT_EQ(both.tokens[1], generate(*model_, {b}, p).tokens[0]);
}

TEST_P(ModelGolden, CachedDecodingEqualsFullForward) {
  at::NoGradGuard g;
  at::Tensor ids = ref("input_ids").narrow(0, 0, 1);
  const std::int64_t T = ids.size(1), split = T / 2;
  at::Tensor full = model_->logits(model_->forward(ids));
  KVCache cache = model_->make_cache(1, T);
  ForwardOptions fo;
  fo.cache = &cache;
  at::Tensor first = model_->logits(model_->forward(ids.narrow(1, 0, split), fo));
  std::vector<at::Tensor> parts{first};
  for (std::int64_t t = split; t < T; ++t) parts.push_back(model_->logits(model_->forward(ids.narrow(1, t, 1), fo)));
  EXPECT_LE(rel_error(at::cat(parts, 1), full), 1e-5);
}

std::vector<fs::path> fixtures_or_none() {
  auto f = model_fixtures();
  return f;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ModelGolden, ::testing::ValuesIn(fixtures_or_none()),
                         [](const auto& info) { return fixture_name(info.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ModelGolden);

TEST(ModelFixtures, AtLeastOneFixtureIsPresent) {
  EXPECT_FALSE(model_fixtures().empty()) << "no model fixtures under " << SOCRATES_FIXTURES_DIR << "/models";
}

}  // namespace
