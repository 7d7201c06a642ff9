// End-to-end training through the real plugins on the synthetic sample with a small random
// model: gradient accumulation does not change the update, a seed fixes the loss curve,
// and the run directory holds the metrics and a loadable adapter.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "config/experiment.hpp"
#include "plugin/plugin_registry.hpp"
#include "io/safetensors_file.hpp"
#include "log/logging.hpp"
#include "train/lr_schedule.hpp"
#include "train/trainer.hpp"
#include "train_test_util.hpp"

namespace fs = std::filesystem;
using namespace socrates;

namespace {

class Train : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("socrates-train-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    set_log_level("warn");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A small experiment on the shipped synthetic sample: LoRA on a 2-layer model.
  TrainSummary run(const std::string& name, std::vector<std::string> sets) {
    sets.insert(sets.end(), {"training.eval_max_examples=16", "training.log_every=1", "evaluation.max_examples=16"});
    run_dir_ = dir_ / "runs" / name;
    return test::train_quickstart_variant(dir_, name, std::move(sets));
  }
  std::map<std::string, at::Tensor> adapter(const fs::path& run) {
    SafetensorsFile f = SafetensorsFile::open(run / "adapter/adapter_model.safetensors");
    std::map<std::string, at::Tensor> out;
    for (const auto& n : f.names()) out[n] = f.load(n);
    return out;
  }

  fs::path dir_, run_dir_;
};

TEST_F(Train, AccumulationDoesNotChangeTheUpdate) {
  // One step over the same 8 sequences: 1 micro-batch of 8 vs 4 micro-batches of 2.
  const std::vector<std::string> common = {"training.global_batch_size=8", "training.max_steps=1",
                                           "adapter.dropout=0.0", "training.length_bucketing=false",
                                           // No warmup (step 0 would use lr 0); a large eps makes the
                                           // AdamW step linear in the gradient, so it compares gradients
                                           // instead of amplifying rounding noise on tiny ones.
                                           "training.warmup_ratio=0.0", "optimizer.eps=0.1"};
  auto a = common, b = common;
  a.push_back("training.micro_batch_size=8");
  b.push_back("training.micro_batch_size=2");
  TrainSummary sa = run("one-micro", a);
  const fs::path ra = run_dir_;
  TrainSummary sb = run("four-micro", b);
  const fs::path rb = run_dir_;
  ASSERT_EQ(sa.losses.size(), 1u);
  EXPECT_NEAR(sa.losses[0], sb.losses[0], 1e-5 * std::abs(sa.losses[0]));
  auto pa = adapter(ra), pb = adapter(rb);
  ASSERT_EQ(pa.size(), pb.size());
  double worst = 0;
  for (auto& [name, t] : pa) worst = std::max(worst, (t - pb.at(name)).abs().max().item<double>());
  EXPECT_LT(worst, 1e-6) << "largest parameter difference";
  // And the step really moved the parameters (lora_B starts at zero).
  double moved = 0;
  for (auto& [name, t] : pa)
    if (name.find("lora_B") != std::string::npos) moved = std::max(moved, t.abs().max().item<double>());
  EXPECT_GT(moved, 0.0);
}

TEST_F(Train, SameSeedSameLossCurveAndOutputs) {
  const std::vector<std::string> s = {"training.max_steps=4", "training.global_batch_size=8",
                                      "training.micro_batch_size=4"};
  TrainSummary a = run("seed-a", s);
  TrainSummary b = run("seed-b", s);
  ASSERT_EQ(a.losses.size(), 4u);
  EXPECT_EQ(a.losses, b.losses);  // bit for bit on CPU
  EXPECT_EQ(a.eval_losses, b.eval_losses);
  TrainSummary c = run("seed-c", [&] { auto v = s; v.push_back("run.seed=7"); return v; }());
  EXPECT_NE(a.losses, c.losses);
  // The run directory: metrics, TensorBoard events, a PEFT adapter.
  EXPECT_TRUE(fs::exists(run_dir_ / "metrics.jsonl"));
  EXPECT_TRUE(fs::exists(run_dir_ / "adapter/adapter_config.json"));
  EXPECT_FALSE(fs::is_empty(run_dir_ / "tensorboard"));
  std::ifstream m(run_dir_ / "metrics.jsonl");
  std::string line;
  int train_lines = 0;
  while (std::getline(m, line)) train_lines += line.find("\"kind\":\"train\"") != std::string::npos;
  EXPECT_EQ(train_lines, 4);
}

TEST(LrSchedule, WarmupThenCosineLikeTransformers) {
  LrSchedule s;
  s.lr = 1.0;
  s.warmup_ratio = 0.1;
  s.total_steps = 100;
  EXPECT_EQ(s.warmup_steps(), 10);
  EXPECT_DOUBLE_EQ(s.at(0), 0.0);
  EXPECT_DOUBLE_EQ(s.at(5), 0.5);
  EXPECT_DOUBLE_EQ(s.at(10), 1.0);
  EXPECT_NEAR(s.at(55), 0.5, 1e-12);  // halfway through the decay
  EXPECT_NEAR(s.at(100), 0.0, 1e-12);
  s.kind = "linear";
  EXPECT_NEAR(s.at(55), 0.5, 1e-12);
  s.kind = "constant";
  EXPECT_DOUBLE_EQ(s.at(90), 1.0);
  s.kind = "cosine";
  s.min_lr_ratio = 0.1;
  EXPECT_NEAR(s.at(100), 0.1, 1e-12);
}

}  // namespace
