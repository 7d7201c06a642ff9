// QLoRA golden tests: LoRA over a 4-bit base against transformers + PEFT + bitsandbytes, on every
// fixture under <fixtures>/quant/models (and SOCRATES_EXTRA_QUANT_FIXTURES). The pre-quantised
// checkpoint loads as saved; quantising its dense counterpart on load gives the same model;
// base and LoRA logits, loss, LoRA gradients and one AdamW / AdamW8bit step match the reference.
// Settings come from the fixture's README.json and adapter_config.json. Every test runs on the
// CPU (the reference kernels) and, where there is a GPU, on CUDA (our CUDA kernels).
#include <gtest/gtest.h>

#include <cstdio>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "fixtures.hpp"
#include "io/safetensors_model.hpp"
#include "model/causal_lm.hpp"
#include "model/loss.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace socrates;
using namespace lora_test;

namespace {

std::string with_default(const std::string& key) {
  const auto pos = key.rfind(".weight");
  return key.substr(0, pos) + ".default.weight";
}

quant::QuantOptions options_from_readme(const nlohmann::json& readme) {
  const auto& q = readme.at("quantization");
  quant::QuantOptions o;
  o.quant_type = quant::parse_quant_type(q.at("quant_type").get<std::string>());
  o.blocksize = q.at("blocksize").get<std::int64_t>();
  o.double_quant = q.at("double_quant").get<bool>();
  return o;
}

// Float32 compute on the CPU against bitsandbytes' float32 compute on CUDA: the dequantised
// weights are bit-exact, only the GEMMs' summation order differs.
constexpr double kLogitsTol = 1e-4, kGradTol = 1e-4, kStepTol = 1e-5;

using Case = std::tuple<fs::path, c10::DeviceType>;

class QloraGolden : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    dir_ = std::get<0>(GetParam());
    device_ = std::get<1>(GetParam());
    if (device_ == c10::kCUDA && !at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
    readme_ = quant_test::read_json(dir_ / "README.json");
    model_ = CausalLM::load(dir_ / "model", device_, at::kFloat);
    ref_ = std::make_unique<SafetensorsModel>(SafetensorsModel::open(dir_ / "reference.safetensors"));
  }
  void TearDown() override { model_.reset(); }

  at::Tensor ref(const std::string& name) { return ref_->load(name); }
  at::Tensor input(const std::string& name) { return ref_->load(name).to(device_); }
  void attach_adapter() {
    if (!fs::is_regular_file(dir_ / "adapter" / "adapter_config.json")) GTEST_SKIP() << dir_ << " has no adapter/";
    adapter_ = make_lora(options_from_peft(read_json(dir_ / "adapter" / "adapter_config.json")));
    adapter_->attach(*model_);
    adapter_->load(dir_ / "adapter");
    adapter_->set_training(false);
  }
  double loss_of(const at::Tensor& hidden) {
    LossSum loss = causal_lm_loss(*model_, hidden, input("labels"));
    return loss.sum.item<double>() / static_cast<double>(loss.tokens);
  }
  void backward() {
    LossSum loss = causal_lm_loss(*model_, model_->forward(input("input_ids")), input("labels"));
    (loss.sum / static_cast<double>(loss.tokens)).backward();
  }
  void expect_params_match(const fs::path& file, double tol, const char* what) {
    const StateDict want = host_services().load_tensors(file);
    double worst = 0;
    for (const auto& [name, p] : adapter_->parameters()) {
      auto it = want.tensors.find(with_default(name));
      ASSERT_NE(it, want.tensors.end()) << name;
      const double e = rel_error(p, it->second);
      EXPECT_LE(e, tol) << name;
      worst = std::max(worst, e);
    }
    std::printf("[%s %s] %s: worst rel error %.3g\n", dir_.filename().c_str(), device_name(), what, worst);
  }
  const char* device_name() const { return device_ == c10::kCUDA ? "cuda" : "cpu"; }

  fs::path dir_;
  c10::DeviceType device_ = c10::kCPU;
  nlohmann::json readme_;
  std::shared_ptr<Adapter> adapter_;  // destroyed after the model, which holds its deltas
  std::unique_ptr<CausalLM> model_;
  std::unique_ptr<SafetensorsModel> ref_;
};

TEST_P(QloraGolden, PrequantisedCheckpointLoadsIn4Bits) {
  EXPECT_TRUE(model_->quantized());
  for (LinearSite* s : model_->linear_sites()) {
    EXPECT_FALSE(s->weight().defined()) << s->name() << " was loaded dense";
    EXPECT_NE(dynamic_cast<Linear4bit*>(static_cast<Linear*>(s)->base().get()), nullptr) << s->name();
  }
  // lm_head and the embeddings stay dense.
  EXPECT_EQ(model_->base_parameters().front().first, "model.embed_tokens.weight");
}

TEST_P(QloraGolden, BaseLogitsAndLossMatchBitsandbytes) {
  at::NoGradGuard g;
  const at::Tensor hidden = model_->forward(input("input_ids"));
  const double e = rel_error(model_->logits(hidden), ref("base_logits"));
  EXPECT_LE(e, kLogitsTol);
  const double want = ref("base_loss").item<double>(), got = loss_of(hidden);
  EXPECT_LE(std::abs(got - want) / std::abs(want), kLogitsTol) << got << " vs " << want;
  std::printf("[%s %s] 4-bit base logits rel error %.3g, loss %.8f vs %.8f\n", dir_.filename().c_str(), device_name(), e,
              got, want);
}

TEST_P(QloraGolden, QuantisingTheDenseModelOnLoadGivesTheSavedModel) {
  const fs::path dense = quant_test::dense_model_dir(dir_);
  ASSERT_TRUE(fs::is_directory(dense)) << dense;
  const quant::QuantOptions o = options_from_readme(readme_);
  auto fresh = CausalLM::load(dense, device_, at::kFloat, o);
  EXPECT_TRUE(fresh->quantized());
  // The same bytes as transformers + bitsandbytes saved, JSON blobs included.
  const auto mine = fresh->export_tensors(at::kFloat, o), saved = model_->export_tensors(at::kFloat, o);
  ASSERT_EQ(mine.size(), saved.size());
  const auto on_disk = quant_test::load_safetensors_dir(dir_ / "model");
  for (std::size_t i = 0; i < mine.size(); ++i) {
    EXPECT_EQ(mine[i].first, saved[i].first);
    ASSERT_TRUE(on_disk.count(mine[i].first)) << mine[i].first;
    EXPECT_TRUE(quant_test::bitwise_equal(mine[i].second.cpu(), on_disk.at(mine[i].first))) << mine[i].first;
  }
  EXPECT_EQ(on_disk.size(), mine.size()) << "the export writes every tensor the checkpoint has";
  at::NoGradGuard g;
  const at::Tensor ids = input("input_ids");
  EXPECT_TRUE(at::equal(fresh->logits(fresh->forward(ids)), model_->logits(model_->forward(ids))));
}

TEST_P(QloraGolden, LoraLogitsLossAndGradientsMatchPeft) {
  attach_adapter();
  {
    at::NoGradGuard g;
    const at::Tensor hidden = model_->forward(input("input_ids"));
    EXPECT_LE(rel_error(model_->logits(hidden), ref("lora_logits")), kLogitsTol);
    const double want = ref("lora_loss").item<double>(), got = loss_of(hidden);
    EXPECT_LE(std::abs(got - want) / std::abs(want), kLogitsTol) << got << " vs " << want;
    EXPECT_GT(rel_error(ref("base_logits"), ref("lora_logits")), 1e-3) << "the adapter must change the logits";
  }
  backward();
  const StateDict want = host_services().load_tensors(dir_ / "lora_grads.safetensors");
  EXPECT_EQ(want.tensors.size(), adapter_->parameters().size());
  double worst = 0;
  for (const auto& [name, p] : adapter_->parameters()) {
    ASSERT_TRUE(p.grad().defined()) << name;
    auto it = want.tensors.find(with_default(name));
    ASSERT_NE(it, want.tensors.end()) << name;
    const double e = rel_error(p.grad(), it->second);
    EXPECT_LE(e, kGradTol) << name;
    worst = std::max(worst, e);
  }
  std::printf("[%s %s] LoRA gradients through the 4-bit base: worst rel error %.3g\n", dir_.filename().c_str(),
              device_name(), worst);
}

TEST_P(QloraGolden, OneAdamWStepMatchesTorch) {
  attach_adapter();
  const auto& a = readme_.at("adamw");
  backward();
  auto opt = make_adamw(Table{{"betas", Array{a.at("betas")[0].get<double>(), a.at("betas")[1].get<double>()}},
                              {"eps", a.at("eps").get<double>()},
                              {"weight_decay", a.at("weight_decay").get<double>()}});
  opt->init(adapter_->parameters());
  opt->step(a.at("lr").get<double>());
  expect_params_match(dir_ / "lora_after_adamw_step.safetensors", kStepTol, "after one AdamW step");
}

TEST_P(QloraGolden, OneAdamW8bitStepMatchesBitsandbytes) {
  attach_adapter();
  if (!readme_.contains("adamw8bit")) GTEST_SKIP() << "no adamw8bit reference";
  const auto& a = readme_.at("adamw8bit");
  backward();
  static auto lib = PluginLibrary::load(SOCRATES_ADAMW8BIT_PLUGIN_FILE);
  auto opt = lib->create<Optimizer>(
      context_for(*lib, "optimizer",
                  Table{{"betas", Array{a.at("betas")[0].get<double>(), a.at("betas")[1].get<double>()}},
                        {"eps", a.at("eps").get<double>()},
                        {"weight_decay", a.at("weight_decay").get<double>()}}));
  opt->init(adapter_->parameters());
  opt->step(a.at("lr").get<double>());
  expect_params_match(dir_ / "lora_after_adamw8bit_step.safetensors", kStepTol, "after one AdamW8bit step");
}

TEST_P(QloraGolden, MergingDequantisesAndMerges) {
  attach_adapter();
  adapter_->merge();
  EXPECT_FALSE(model_->quantized()) << "every adapted layer is dense after merging";
  at::NoGradGuard g;
  EXPECT_LE(rel_error(model_->logits(model_->forward(input("input_ids"))), ref("lora_logits")), kLogitsTol);
}

std::vector<fs::path> fixtures() {
  std::vector<fs::path> out;
  for (const fs::path& d : quant_test::model_fixture_dirs())
    if (fs::is_regular_file(d / "reference.safetensors")) out.push_back(d);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, QloraGolden,
                         ::testing::Combine(::testing::ValuesIn(fixtures()), ::testing::Values(c10::kCPU, c10::kCUDA)),
                         [](const auto& info) {
                           std::string s = std::get<0>(info.param).filename().string();
                           for (char& c : s)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return s + (std::get<1>(info.param) == c10::kCUDA ? "_cuda" : "_cpu");
                         });

TEST(QloraFixtures, AtLeastOneQuantisedModelFixture) {
  EXPECT_FALSE(fixtures().empty()) << "no folder with reference.safetensors under " << quant_test::quant_dir() / "models";
}

}  // namespace
