// Golden tests of the lora plugin against PEFT 0.21 on every model fixture: logits and loss
// with the fixture's adapter, the gradient of every LoRA parameter, and one AdamW step.
// Everything (shapes, r, alpha, targets, lr) is read from the fixture.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <unistd.h>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "fixtures.hpp"
#include "io/safetensors_model.hpp"
#include "model/causal_lm.hpp"
#include "model/loss.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace socrates;
using namespace socrates::testing_fixtures;
using namespace lora_test;

namespace {

// PEFT's live state_dict keys carry the adapter name: "...q_proj.lora_A.default.weight".
std::string with_default(const std::string& key) {
  const auto pos = key.rfind(".weight");
  return key.substr(0, pos) + ".default.weight";
}

class LoraGolden : public ::testing::TestWithParam<fs::path> {
 protected:
  void SetUp() override {
    dir_ = GetParam();
    if (!fs::is_regular_file(dir_ / "adapter" / "adapter_config.json")) GTEST_SKIP() << dir_ << " has no adapter/";
    readme_ = fixture_readme(dir_);
    peft_ = read_json(dir_ / "adapter" / "adapter_config.json");
    model_ = CausalLM::load(dir_ / "model", c10::kCPU, at::kFloat);
    ref_ = std::make_unique<SafetensorsModel>(SafetensorsModel::open(dir_ / "reference.safetensors"));
    adapter_ = make_lora(options_from_peft(peft_));
    adapter_->attach(*model_);
    adapter_->load(dir_ / "adapter");
    adapter_->set_training(false);
  }
  void TearDown() override { model_.reset(); }  // the model holds the adapter's deltas

  at::Tensor ref(const std::string& name) { return ref_->load(name); }

  fs::path dir_;
  nlohmann::json readme_, peft_;
  std::shared_ptr<Adapter> adapter_;  // declared before the model: destroyed after it
  std::unique_ptr<CausalLM> model_;
  std::unique_ptr<SafetensorsModel> ref_;
};

TEST_P(LoraGolden, ReadmeAgreesWithAdapterConfig) {
  if (!readme_.contains("lora")) GTEST_SKIP();
  const auto& l = readme_.at("lora");
  EXPECT_EQ(l.at("r").get<std::int64_t>(), peft_.at("r").get<std::int64_t>());
  EXPECT_EQ(l.at("lora_alpha").get<double>(), peft_.at("lora_alpha").get<double>());
  if (l.contains("target_modules") && l.at("target_modules").is_array() && peft_.at("target_modules").is_array()) {
    auto a = l.at("target_modules").get<std::set<std::string>>();
    auto b = peft_.at("target_modules").get<std::set<std::string>>();
    EXPECT_EQ(a, b);
  }
}

TEST_P(LoraGolden, LogitsAndLossMatchPeft) {
  at::NoGradGuard g;
  const at::Tensor ids = ref("input_ids");
  const at::Tensor hidden = model_->forward(ids);
  const at::Tensor logits = model_->logits(hidden);
  const at::Tensor want = ref("lora_logits");
  ASSERT_EQ(logits.sizes(), want.sizes());
  const double e_logits = rel_error(logits, want);
  EXPECT_LE(e_logits, 1e-4) << dir_;
  // The adapter must change the outputs, or the comparison proves nothing.
  EXPECT_GT(rel_error(ref("base_logits"), want), 1e-3) << "the fixture's adapter does not change the logits";

  LossSum loss = causal_lm_loss(*model_, hidden, ref("labels"));
  const double mean = loss.sum.item<double>() / static_cast<double>(loss.tokens);
  const double want_loss = ref("lora_loss").item<double>();
  const double e_loss = std::abs(mean - want_loss) / std::abs(want_loss);
  EXPECT_LE(e_loss, 1e-4) << mean << " vs " << want_loss;
  std::printf("[%s] lora logits rel error %.3g, loss rel error %.3g (%.8f vs %.8f)\n", fixture_name(dir_).c_str(),
              e_logits, e_loss, mean, want_loss);
}

TEST_P(LoraGolden, MergedWeightsGiveTheSameLogits) {
  at::NoGradGuard g;
  const at::Tensor ids = ref("input_ids");
  const at::Tensor before = model_->logits(model_->forward(ids));
  adapter_->merge();
  EXPECT_TRUE(adapter_->parameters().empty());
  const at::Tensor after = model_->logits(model_->forward(ids));
  const double e = rel_error(after, before), e_ref = rel_error(after, ref("lora_logits"));
  EXPECT_LE(e, 1e-5);
  EXPECT_LE(e_ref, 1e-4);
  std::printf("[%s] merged vs unmerged logits rel error %.3g (vs PEFT %.3g)\n", fixture_name(dir_).c_str(), e, e_ref);
}

TEST_P(LoraGolden, SavingReproducesPeftsFolder) {
  const fs::path out = temp_dir("golden-save");
  adapter_->save(out);
  // The same tensors, written byte for byte as PEFT (safetensors 0.7) writes them.
  EXPECT_EQ(read_bytes(out / "adapter_model.safetensors"), read_bytes(dir_ / "adapter" / "adapter_model.safetensors"));
  // The same config; PEFT writes target_modules from a set, so their order is arbitrary.
  nlohmann::json got = read_json(out / "adapter_config.json"), want = peft_;
  if (want.at("target_modules").is_array()) {
    EXPECT_EQ(got.at("target_modules").get<std::set<std::string>>(),
              want.at("target_modules").get<std::set<std::string>>());
  }
  // A regex may be rewritten (as an exact regex of the chosen modules); loading back checks
  // that it selects the same layers.
  got.erase("target_modules");
  want.erase("target_modules");
  EXPECT_EQ(got, want) << got.dump(2);
  EXPECT_NO_THROW(adapter_->load(out));
  fs::remove_all(out);
}

class LoraGoldenTrain : public LoraGolden {
 protected:
  // Backward of the mean token loss, as the reference did.
  void backward() {
    const at::Tensor hidden = model_->forward(ref("input_ids"));
    LossSum loss = causal_lm_loss(*model_, hidden, ref("labels"));
    (loss.sum / static_cast<double>(loss.tokens)).backward();
  }
};

TEST_P(LoraGoldenTrain, GradientsMatchPeft) {
  backward();
  const StateDict want = host_services().load_tensors(dir_ / "lora_grads.safetensors");
  const auto params = adapter_->parameters();
  EXPECT_EQ(params.size(), want.tensors.size()) << "every LoRA parameter has a reference gradient";
  double worst = 0;
  std::string worst_name;
  for (const auto& [name, p] : params) {
    auto it = want.tensors.find(with_default(name));
    ASSERT_NE(it, want.tensors.end()) << "no reference gradient for " << name;
    ASSERT_TRUE(p.grad().defined()) << name;
    ASSERT_EQ(p.grad().sizes(), it->second.sizes()) << name;
    const double e = rel_error(p.grad(), it->second);
    EXPECT_LE(e, 1e-4) << name;
    if (e >= worst) worst = e, worst_name = name;
  }
  std::printf("[%s] %zu gradients, worst rel error %.3g (%s)\n", fixture_name(dir_).c_str(), params.size(), worst,
              worst_name.c_str());
}

TEST_P(LoraGoldenTrain, OneAdamWStepMatchesTorch) {
  const auto& a = readme_.at("adamw");
  Table cfg{{"betas", Array{a.at("betas")[0].get<double>(), a.at("betas")[1].get<double>()}},
            {"eps", a.at("eps").get<double>()},
            {"weight_decay", a.at("weight_decay").get<double>()}};
  backward();
  auto opt = make_adamw(cfg);
  opt->init(adapter_->parameters());
  opt->step(a.at("lr").get<double>());
  const StateDict want = host_services().load_tensors(dir_ / "lora_after_adamw_step.safetensors");
  double worst = 0;
  std::string worst_name;
  for (const auto& [name, p] : adapter_->parameters()) {
    auto it = want.tensors.find(with_default(name));
    ASSERT_NE(it, want.tensors.end()) << name;
    const double e = rel_error(p, it->second);
    EXPECT_LE(e, 1e-5) << name;
    if (e >= worst) worst = e, worst_name = name;
  }
  std::printf("[%s] after one AdamW step, worst rel error %.3g (%s)\n", fixture_name(dir_).c_str(), worst,
              worst_name.c_str());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LoraGolden, ::testing::ValuesIn(model_fixtures()),
                         [](const auto& info) { return fixture_name(info.param); });
INSTANTIATE_TEST_SUITE_P(Fixtures, LoraGoldenTrain, ::testing::ValuesIn(model_fixtures()),
                         [](const auto& info) { return fixture_name(info.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(LoraGolden);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(LoraGoldenTrain);

TEST(LoraFixtures, AtLeastOneFixtureHasAnAdapter) {
  int n = 0;
  for (const auto& d : model_fixtures()) n += fs::is_regular_file(d / "adapter" / "adapter_config.json");
  EXPECT_GT(n, 0) << "no model fixture with adapter/ under " << SOCRATES_FIXTURES_DIR << "/models";
}

}  // namespace
