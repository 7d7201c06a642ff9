// Divergence: a learning rate of 1e30 turns the loss to NaN within a few steps. Training must
// stop with "training diverged at step N" and advice, exit 1, the checkpoint of step N-1 kept
// and none of step N written (before, this surfaced as a manifest JSON error about disk space).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <regex>

#include "spawn_cli.hpp"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

TEST(Divergence, NonFiniteLossStopsWithTheStepAndKeepsTheLastGoodCheckpoint) {
  const fs::path tmp = fs::temp_directory_path() / ("socrates-diverge-" + std::to_string(::getpid()));
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const fs::path src = SOCRATES_SOURCE_DIR;
  std::string includes;
  for (const char* f : {"paper-hparams.toml", "lora-r16.toml", "single-device.toml", "synthetic-data.toml"})
    includes += (includes.empty() ? "\"" : ", \"") + (src / "configs" / f).string() + "\"";
  std::ofstream(tmp / "exp.toml") << "include = [" << includes << "]\n"
                                  << "[run]\nname = \"diverge\"\noutput_dir = \"" << (tmp / "runs").string()
                                  << "\"\nseed = 1\ndevice = \"cpu\"\n"
                                  << "[model]\nshape = \"" << (src / "tests/checkpoint/tiny-model/config.json").string()
                                  << "\"\ndtype = \"float32\"\n"
                                  << "[data]\ncache_dir = \"" << (tmp / "cache").string()
                                  << "\"\ninspect_examples = 0\nmax_seq_len = 256\n"
                                  << "[training]\nglobal_batch_size = 4\nmicro_batch_size = 4\nmax_steps = 6\n"
                                  << "lr = 1e30\nwarmup_ratio = 0.0\ngradient_checkpointing = false\n"
                                  << "eval_every = 0\neval_max_examples = 4\nsample_generations = 0\nlog_every = 1\n"
                                  << "[checkpoint]\nsave_every = 1\n";
  const auto r = socrates::test::spawn_socrates({"run", (tmp / "exp.toml").string()}, tmp / "scratch",
                                                std::chrono::seconds(120));
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.signal, 0) << r.err;
  ASSERT_EQ(r.status, 1) << r.err;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex("training diverged at step (\\d+): the (gradient norm|training loss) is")))
      << r.err;
  const int step = std::stoi(m[1]);
  EXPECT_GT(step, 1) << "lr 1e30 should give one good step first";
  RecordProperty("diverged_at", step);
  EXPECT_THAT(r.err, HasSubstr("lower training.lr (now 1e+30)"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("free")));
  fs::path run;
  for (const auto& e : fs::directory_iterator(tmp / "runs")) run = e.path();
  ASSERT_FALSE(run.empty());
  auto ckpt = [&](int s) {
    char name[32];
    std::snprintf(name, sizeof name, "step-%09d", s);
    return run / "checkpoints" / name;
  };
  EXPECT_FALSE(fs::exists(ckpt(step))) << "a checkpoint of the diverged step was written";
  if (step > 1) {
    EXPECT_TRUE(fs::exists(ckpt(step - 1) / "manifest.json")) << "the last good checkpoint is gone";
    EXPECT_THAT(r.err, HasSubstr("the last good checkpoint, step " + std::to_string(step - 1) + ", is kept"));
  }
  fs::remove_all(tmp);
}
