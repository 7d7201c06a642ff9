// GPU checks on every model fixture (skipped without CUDA; run on the GPU machine):
// fp32 CUDA logits match transformers like CPU, and greedy generation on CUDA matches.
// bf16 (CPU and CUDA) is test_model_bf16.
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <ATen/Context.h>

#include "fixtures.hpp"
#include "generate/generation.hpp"
#include "io/safetensors_model.hpp"
#include "model/causal_lm.hpp"

namespace fs = std::filesystem;
using namespace socrates;
using namespace socrates::testing_fixtures;

namespace {

class ModelGpu : public ::testing::TestWithParam<fs::path> {
 protected:
  void SetUp() override {
    if (!at::globalContext().hasCUDA()) GTEST_SKIP() << "no CUDA device";
  }
  at::Tensor ref(const std::string& name) {
    return SafetensorsModel::open(GetParam() / "reference.safetensors").load(name);
  }
};

double rel_error(const at::Tensor& got, const at::Tensor& want) {
  return (got.cpu().to(at::kDouble) - want.to(at::kDouble)).abs().max().item<double>() /
         want.to(at::kDouble).abs().max().item<double>();
}

TEST_P(ModelGpu, Float32LogitsMatchTransformers) {
  at::NoGradGuard g;
  auto m = CausalLM::load(GetParam() / "model", c10::Device("cuda"), at::kFloat);
  EXPECT_LE(rel_error(m->logits(m->forward(ref("input_ids"))), ref("base_logits")), 1e-4);
}

TEST_P(ModelGpu, GreedyGenerationMatches) {
  auto m = CausalLM::load(GetParam() / "model", c10::Device("cuda"), at::kFloat);
  at::Tensor prompt = ref("gen_prompt").to(at::kLong).contiguous(), want = ref("gen_base").to(at::kLong).contiguous();
  SamplingParams p;
  p.max_new_tokens = fixture_readme(GetParam()).at("generate").at("max_new_tokens").get<std::int64_t>();
  p.stop_ids = m->config().eos_token_ids;
  std::vector<std::int64_t> pr(prompt.data_ptr<std::int64_t>(), prompt.data_ptr<std::int64_t>() + prompt.size(1));
  std::vector<std::int64_t> w(want.data_ptr<std::int64_t>(), want.data_ptr<std::int64_t>() + want.size(1));
  Generation gen = generate(*m, {pr}, p);
  w.resize(gen.tokens[0].size());
  EXPECT_EQ(gen.tokens[0], w);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ModelGpu, ::testing::ValuesIn(model_fixtures()),
                         [](const auto& info) { return fixture_name(info.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ModelGpu);

}  // namespace
