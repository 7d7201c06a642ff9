// The step profiler: `[training] profile_steps` writes a Kineto trace and a summary of the
// profiled steps into <run>/profile/, and nothing when the window lies outside the run.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "config/experiment.hpp"
#include "log/logging.hpp"
#include "plugin/plugin_registry.hpp"
#include "train/step_profiler.hpp"
#include "train/trainer.hpp"
#include "train_test_util.hpp"

#include "read_files.hpp"

namespace fs = std::filesystem;
using namespace socrates;
using nlohmann::json;

TEST(StepProfiler, KernelGroupsFromNames) {
  EXPECT_EQ(kernel_group("sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64"), "gemm");
  EXPECT_EQ(kernel_group("nvjet_tst_128x256_64x4_1x2_h_bz_coopA_NTN"), "gemm");
  EXPECT_EQ(kernel_group("void pytorch_flash::flash_fwd_kernel<Flash_fwd_kernel_traits<128>>"), "attention");
  EXPECT_EQ(kernel_group("ncclDevKernel_AllReduce_Sum_f32_RING_LL"), "comm");
  EXPECT_EQ(kernel_group("socrates::quant::dequantize_nf4_kernel"), "quant");
  EXPECT_EQ(kernel_group("void at::native::(anonymous namespace)::cunn_SoftMaxForward<4>"), "loss");
  EXPECT_EQ(kernel_group("void at::native::vectorized_elementwise_kernel<4, at::native::AUnaryFunctor>"),
            "elementwise");
  EXPECT_EQ(kernel_group("void at::native::reduce_kernel<512, 1>"), "reduce");
  EXPECT_EQ(kernel_group("Memcpy DtoD (Device -> Device)"), "copy");
  EXPECT_EQ(kernel_group("my_kernel"), "other");
}

TEST(StepProfiler, TopRowsSumByNameAndSortByTime) {
  const std::vector<ProfileRow> rows = {{"a", "gemm", true, 1, 1.0},  {"b", "copy", true, 1, 5.0},
                                        {"a", "gemm", true, 2, 3.0},  {"a", "host", false, 1, 0.5},
                                        {"c", "other", true, 1, 0.1}};
  const auto top = top_rows(rows, 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].name, "b");
  EXPECT_EQ(top[1].name, "a");
  EXPECT_TRUE(top[1].device);
  EXPECT_EQ(top[1].calls, 3);
  EXPECT_DOUBLE_EQ(top[1].total_ms, 4.0);
}

namespace {

class Profile : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("socrates-profile-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    set_log_level("warn");
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path run(const std::string& name, std::vector<std::string> sets) {
    sets.insert(sets.end(), {"evaluation.during_training=false", "evaluation.compare_base=false",
                             "evaluation.max_examples=8", "training.eval_max_examples=8", "training.max_steps=4",
                             "training.global_batch_size=4", "training.micro_batch_size=2"});
    test::train_quickstart_variant(dir_, name, std::move(sets));
    return dir_ / "runs" / name;
  }
  fs::path dir_;
};

using socrates::test::read_json;

}  // namespace

TEST_F(Profile, WritesTraceAndSummaryOfTheProfiledSteps) {
  const fs::path run_dir = run("prof", {"training.profile_start=1", "training.profile_steps=2"});
  const json s = read_json(run_dir / "profile/summary.json");
  EXPECT_EQ(s.at("first_step"), 2);
  EXPECT_EQ(s.at("steps"), 2);
  EXPECT_GT(s.at("wall_ms_per_step").get<double>(), 0.0);
  // The host operators of a LoRA step: matrix products, and the optimizer's; self times
  // are positive and no larger than the step.
  std::set<std::string> names;
  for (const json& r : s.at("host")) {
    names.insert(r.at("name").get<std::string>());
    EXPECT_GE(r.at("ms_per_step").get<double>(), 0.0) << r.dump();
    EXPECT_LE(r.at("ms_per_step").get<double>(), s.at("wall_ms_per_step").get<double>() * 1.01) << r.dump();
  }
  EXPECT_TRUE(names.count("aten::mm") || names.count("aten::addmm") || names.count("aten::matmul"))
      << s.at("host").dump();
  // Two steps of 2 micro-batches: the backward ran in the window.
  EXPECT_TRUE(std::any_of(names.begin(), names.end(), [](const std::string& n) { return n.find("Backward") != n.npos; }))
      << s.at("host").dump();
  const json trace = read_json(run_dir / "profile/trace.json");
  ASSERT_TRUE(trace.contains("traceEvents"));
  EXPECT_GT(trace["traceEvents"].size(), 50u);
  std::ifstream md(run_dir / "profile/summary.md");
  std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  EXPECT_THAT(text, testing::HasSubstr("# Profile of training steps 2..3"));
  EXPECT_THAT(text, testing::HasSubstr("## Host operators, self time"));
}

TEST_F(Profile, AWindowOutsideTheRunWritesNothing) {
  const fs::path run_dir = run("late", {"training.profile_start=10", "training.profile_steps=2"});
  EXPECT_FALSE(fs::exists(run_dir / "profile"));
  EXPECT_TRUE(fs::exists(run_dir / "adapter/adapter_config.json"));  // the run itself went on
}

TEST(ProfileSettings, NegativeValuesAreRejectedWithTheKey) {
  const fs::path src = SOCRATES_SOURCE_DIR;
  PluginRegistry reg;
  EXPECT_THAT(
      [&] {
        Experiment::resolve(ExperimentFile::load(src / "experiments/quickstart.toml", {"training.profile_steps=-1"}),
                            reg);
      },
      testing::ThrowsMessage<ConfigError>(testing::HasSubstr("profile_steps")));
}
