// Several ranks in separate processes (fork), meeting through the test-parallelism plugin's
// file collectives. Every rank must run the same sequence of collectives, also when the
// partial last global batch leaves a rank without a micro-batch, and evaluation is spread
// over the ranks. With the same global batch, 2 and 3 ranks train like 1.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "config/experiment.hpp"
#include "log/logging.hpp"
#include "plugin/plugin_registry.hpp"
#include "train/trainer.hpp"

namespace fs = std::filesystem;
using namespace socrates;

namespace {

class MultiRank : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("socrates-multirank-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    set_log_level("warn");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // 7 training steps of global batch 6 over 38 examples: the last step holds 2, so with 3
  // ranks one of them has no micro-batch. Deterministic evaluation (distribution mode).
  std::vector<std::string> sets(const std::string& name) const {
    const fs::path src = SOCRATES_SOURCE_DIR;
    return {"run.name=" + name,
            "run.output_dir=" + (dir_ / "runs").string(),
            "data.cache_dir=" + (dir_ / "cache").string(),
            "data.inspect_examples=0",
            "dataset.max_rows=38",
            "training.global_batch_size=6",
            "training.micro_batch_size=1",
            "training.epochs=1.0",
            "training.eval_every=5",
            "training.eval_max_examples=8",
            "training.sample_generations=1",
            "training.log_every=1",
            "adapter.dropout=0.0",
            "evaluation.mode=\"distribution\"",
            "evaluation.max_examples=7",
            "parallelism.plugin=\"test-parallelism\"",
            "parallelism.rendezvous=\"" + (dir_ / ("meet-" + name)).string() + "\"",
            "plugins.paths=[\"" + std::string(SOCRATES_TEST_PLUGIN_DIR) + "\"]"};
  }

  // Trains `world` ranks (forked); returns each rank's losses, then the final metrics.
  std::vector<std::vector<double>> run(const std::string& name, int world) {
    const fs::path exp = dir_ / (name + ".toml");
    std::ofstream(exp) << "include = [\"" << (fs::path(SOCRATES_SOURCE_DIR) / "experiments/quickstart.toml").string()
                       << "\"]\n";
    // Each rank is a fresh exec of this test binary (MultiRankChild.Run), not a bare fork:
    // a forked child of a process that already used OpenMP can hang.
    std::vector<pid_t> pids;
    std::string joined;
    for (const std::string& s : sets(name)) joined += s + "\x1f";
    for (int r = 0; r < world; ++r) {
      const pid_t pid = fork();
      if (pid == 0) {
        setenv("RANK", std::to_string(r).c_str(), 1);
        setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
        setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
        setenv("SOCRATES_MR_EXP", exp.c_str(), 1);
        setenv("SOCRATES_MR_SETS", joined.c_str(), 1);
        setenv("SOCRATES_MR_RUN", (dir_ / "runs" / (name + "-rank" + std::to_string(r))).c_str(), 1);
        setenv("SOCRATES_MR_OUT", (dir_ / (name + ".losses." + std::to_string(r))).c_str(), 1);
        setenv("SOCRATES_MR_ERR", (dir_ / (name + ".error." + std::to_string(r))).c_str(), 1);
        const std::string self = fs::read_symlink("/proc/self/exe").string();
        execl(self.c_str(), self.c_str(), "--gtest_filter=MultiRankChild.Run", static_cast<char*>(nullptr));
        _exit(127);
      }
      pids.push_back(pid);
    }
    for (int r = 0; r < world; ++r) {
      int status = 0;
      waitpid(pids[static_cast<std::size_t>(r)], &status, 0);
      std::ifstream err(dir_ / (name + ".error." + std::to_string(r)));
      std::stringstream ss;
      ss << err.rdbuf();
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "rank " << r << ": " << ss.str();
    }
    std::vector<std::vector<double>> losses(static_cast<std::size_t>(world));
    for (int r = 0; r < world; ++r) {
      std::ifstream in(dir_ / (name + ".losses." + std::to_string(r)));
      for (double l; in >> l;) losses[static_cast<std::size_t>(r)].push_back(l);
    }
    return losses;
  }

  nlohmann::json final_metrics(const std::string& name) const {
    std::ifstream in(dir_ / "runs" / (name + "-rank0") / "metrics.jsonl");
    nlohmann::json last;
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line);
      if (j.value("kind", "") == "final") last = j;
    }
    return last;
  }

  fs::path dir_;
};

void expect_same_curve(const std::vector<double>& a, const std::vector<double>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-4 * std::max(1.0, std::abs(a[i]))) << what << " step " << i;
}

}  // namespace

// One rank of MultiRank, run in its own process; skipped unless the parent set it up.
TEST(MultiRankChild, Run) {
  const char* exp = std::getenv("SOCRATES_MR_EXP");
  if (!exp) GTEST_SKIP() << "runs only as a rank started by MultiRank";
  set_log_level("warn");
  try {
    std::vector<std::string> sets;
    std::stringstream ss(std::getenv("SOCRATES_MR_SETS"));
    for (std::string s; std::getline(ss, s, '\x1f');) sets.push_back(s);
    PluginRegistry reg;
    Experiment e = Experiment::resolve(ExperimentFile::load(exp, sets), reg);
    const fs::path run_dir = std::getenv("SOCRATES_MR_RUN");
    fs::create_directories(run_dir);
    TrainSummary s = train(e, run_dir);
    std::ofstream out(std::getenv("SOCRATES_MR_OUT"));
    out.precision(17);
    for (double l : s.losses) out << l << "\n";
  } catch (const std::exception& ex) {
    std::ofstream(std::getenv("SOCRATES_MR_ERR")) << ex.what();
    FAIL() << ex.what();
  }
}

TEST_F(MultiRank, TwoAndThreeRanksTrainLikeOne) {
  const auto one = run("w1", 1);
  ASSERT_EQ(one.size(), 1u);
  ASSERT_EQ(one[0].size(), 7u);  // 38 rows in steps of 6: the last step holds 2
  for (int world : {2, 3}) {
    const std::string name = "w" + std::to_string(world);
    const auto many = run(name, world);
    for (int r = 0; r < world; ++r) {
      // Every rank reports the loss of the whole global batch.
      expect_same_curve(many[0], many[static_cast<std::size_t>(r)], "rank vs rank 0");
    }
    // Summed gradients and the global token normaliser: the same training as one rank.
    expect_same_curve(one[0], many[0], "ranks vs one rank");
    // The evaluation was spread over the ranks and gathered: same scores as one rank.
    const auto m1 = final_metrics("w1"), mw = final_metrics(name);
    ASSERT_TRUE(m1.contains("wasserstein")) << m1.dump();
    ASSERT_TRUE(mw.contains("wasserstein")) << mw.dump();
    EXPECT_NEAR(m1["wasserstein"].get<double>(), mw["wasserstein"].get<double>(), 1e-4);
    EXPECT_NEAR(m1["accuracy"].get<double>(), mw["accuracy"].get<double>(), 1e-4);
  }
}
