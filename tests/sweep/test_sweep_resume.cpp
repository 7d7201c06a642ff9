// A sweep killed with SIGKILL mid-way: `socrates sweep --resume DIR` finishes the remaining
// variants and does not rerun the finished ones.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "run_cli.hpp"
#include "spawn_cli.hpp"
#include "sweep_test_util.hpp"

extern char** environ;

using namespace socrates;
using testing::HasSubstr;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

pid_t spawn_socrates(const std::vector<std::string>& args, const fs::path& log) {
  return socrates::test::start_socrates(args, {.log = log, .truncate = true});
}

// sweep.json, or null while it is not there (or being replaced).
json try_state(const fs::path& runs) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(runs, ec)) {
    try {
      if (fs::exists(e.path() / "sweep.json")) return test::read_json(e.path() / "sweep.json");
    } catch (const std::exception&) {
    }
  }
  return nullptr;
}

int count(const json& state, const std::string& status) {
  int n = 0;
  for (const json& v : state["variants"]) n += v["status"] == status;
  return n;
}

TEST(SweepResume, AfterSigkillOnlyTheUnfinishedVariantsRun) {
  const fs::path dir = test::scratch_dir("sweep-resume");
  test::write_tiny_base(dir);
  // A checkpoint after every step, so an interrupted variant can continue from one.
  test::write_text(dir / "s.toml",
                   "[sweep]\nname = \"s\"\nbase = \"tiny.toml\"\n[sweep.set]\n\"checkpoint.save_every\" = 1\n"
                   "\"evaluation.compare_base\" = false\n[sweep.grid]\n\"adapter.r\" = [2, 4, 8]\n");
  const pid_t pid =
      spawn_socrates({"sweep", (dir / "s.toml").string(), "--no-compare", "--devices", "cpu,cpu"}, dir / "first.log");
  ASSERT_GT(pid, 0);
  // Wait until one variant has finished and the next is running, then kill the sweep.
  json seen;
  for (;;) {
    seen = try_state(dir / "runs");
    if (!seen.is_null() && count(seen, "finished") >= 1 && count(seen, "running") >= 1) break;
    int st = 0;
    ASSERT_EQ(::waitpid(pid, &st, WNOHANG), 0) << "the sweep ended before it could be killed:\n"
                                                << test::read_text(dir / "first.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  int st = 0;
  ASSERT_EQ(::waitpid(pid, &st, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(st));

  const fs::path sweep = fs::path(seen["dir"].get<std::string>());
  const json killed = test::read_json(sweep / "sweep.json");
  ASSERT_LT(count(killed, "finished"), 3) << "the kill came after the end";
  std::map<std::string, fs::file_time_type> finished_adapter;
  for (const json& v : killed["variants"]) {
    if (v["status"] == "finished") {
      finished_adapter[v["name"]] = fs::last_write_time(sweep / v["run_dir"].get<std::string>() / "adapter/adapter_model.safetensors");
    }
  }

  // The variant that was running got SIGTERM from the kernel when its sweep died; --resume
  // waits for it to let go of the sweep, then continues.
  const auto r = test::run_socrates("sweep --resume " + test::shell_quote(sweep.string()) + " --no-compare", dir);
  ASSERT_EQ(r.status, 0) << r.err;
  const json done = test::read_json(sweep / "sweep.json");
  EXPECT_EQ(count(done, "finished"), 3);
  for (const json& v : done["variants"]) {
    const fs::path run = sweep / v["run_dir"].get<std::string>();
    EXPECT_TRUE(fs::exists(run / "eval/final-test-distribution/report.json")) << run;
    if (finished_adapter.count(v["name"])) {
      EXPECT_EQ(v["attempts"], 1) << v["name"] << " was finished and must not run again";
      EXPECT_EQ(fs::last_write_time(run / "adapter/adapter_model.safetensors"), finished_adapter[v["name"]]);
    } else {
      EXPECT_GE(v["attempts"], 1);
    }
  }
  // Those that were running when the sweep died were started a second time: `socrates
  // resume` continues from the newest checkpoint, or from step 0 if there was none yet.
  int resumed = 0;
  for (const json& v : done["variants"]) resumed += v["attempts"] == 2;
  EXPECT_EQ(resumed, count(killed, "running"));
  EXPECT_GE(resumed, 1);
  EXPECT_THAT(r.err, HasSubstr("resuming sweep"));
  fs::remove_all(dir);
}

}  // namespace
