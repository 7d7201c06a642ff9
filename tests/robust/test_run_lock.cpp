// One writer per run directory: the flock on <run>/.lock, in process and across processes
// (the second writer is a real `socrates resume` / `socrates run --resume auto`).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "io/run_lock.hpp"
#include "socrates/error.hpp"
#include "spawn_cli.hpp"

namespace fs = std::filesystem;
using namespace socrates;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

fs::path fresh_dir(const std::string& tag) {
  const fs::path d = fs::temp_directory_path() / ("socrates-lock-" + tag + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string host() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const std::string kMe = "pid " + std::to_string(::getpid()) + " on host ";

}  // namespace

TEST(RunLock, SecondWriterIsRefusedNamingPidAndHost) {
  const fs::path dir = fresh_dir("second");
  RunLock first = RunLock::acquire(dir);
  EXPECT_THAT(read(dir / ".lock"), HasSubstr(kMe + host()));
  try {
    RunLock second = RunLock::acquire(dir);
    FAIL() << "a second lock was granted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("is in use by " + kMe + host()));
    EXPECT_THAT(e.what(), HasSubstr("only one process may write to a run at a time"));
  }
  fs::remove_all(dir);
}

TEST(RunLock, ReleasedLockIsFreeAndLeavesNoRecord) {
  const fs::path dir = fresh_dir("release");
  { RunLock a = RunLock::acquire(dir); }
  EXPECT_EQ(read(dir / ".lock"), "");
  RunLock b = RunLock::acquire(dir);
  EXPECT_EQ(b.previous(), "");
  fs::remove_all(dir);
}

// A process killed while holding the lock leaves its record but no flock (the kernel drops it):
// the next writer takes over and reports whose lock it was.
TEST(RunLock, StaleLockOfADeadProcessIsTakenOver) {
  const fs::path dir = fresh_dir("stale");
  const std::string stale = "pid 4194303 on host elsewhere (socrates run, since 2026-01-01T00:00:00Z)";
  std::ofstream(dir / ".lock") << stale << "\n";
  RunLock lock = RunLock::acquire(dir);
  EXPECT_EQ(lock.previous(), stale);
  EXPECT_THAT(read(dir / ".lock"), HasSubstr(kMe));
  fs::remove_all(dir);
}

TEST(RunLock, OtherRanksOfARunDoNotLock) {
  const fs::path dir = fresh_dir("rank");
  RunLock held = RunLock::acquire(dir);
  ::setenv("RANK", "1", 1);
  EXPECT_FALSE(RunLock::acquire_for_rank(dir).has_value());
  ::setenv("RANK", "0", 1);
  EXPECT_THROW(RunLock::acquire_for_rank(dir), Error);
  ::unsetenv("RANK");
  // A launcher holding the lock (its children inherit SOCRATES_RUN_LOCK_HELD) for this dir.
  ::setenv(RunLock::kHeldEnv, fs::weakly_canonical(dir).c_str(), 1);
  EXPECT_FALSE(RunLock::acquire_for_rank(dir).has_value());
  ::unsetenv(RunLock::kHeldEnv);
  const fs::path other = fresh_dir("rank-other");
  {
    auto mine = RunLock::acquire_for_rank(other);
    ASSERT_TRUE(mine.has_value());
    EXPECT_STREQ(std::getenv(RunLock::kHeldEnv), fs::weakly_canonical(other).c_str());
  }
  ::unsetenv(RunLock::kHeldEnv);
  fs::remove_all(other);
  fs::remove_all(dir);
}

// The two-writer test: this process holds the run (the first writer); `socrates resume` and
// `socrates run --resume auto` on the same directory are refused at once, naming this pid and
// host; once released, resume gets past the lock.
TEST(TwoWriters, SecondResumeIsRefusedAtOnce) {
  const fs::path out = fresh_dir("two");
  const fs::path run = out / "locked-20260101-000000";
  fs::create_directories(run);
  std::ofstream(run / "config.resolved.toml") << "[run]\nname = \"locked\"\noutput_dir = \"" << out.string()
                                              << "\"\nbogus_key = 1\n";
  {
    RunLock first = RunLock::acquire(run);
    const auto t0 = std::chrono::steady_clock::now();
    const test::SpawnResult r = test::spawn_socrates({"resume", run.string()}, out / "scratch");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_EQ(r.status, 1) << r.describe() << "\n" << r.err;
    EXPECT_THAT(r.err, HasSubstr("run directory " + run.string() + " is in use by " + kMe + host()));
    EXPECT_THAT(r.err, Not(HasSubstr("free")));
    EXPECT_THAT(r.err, Not(HasSubstr("bogus_key"))) << "refused only after reading the experiment";
    RecordProperty("second_writer_seconds", std::to_string(seconds));

    const test::SpawnResult a = test::spawn_socrates(
        {"run", SOCRATES_SOURCE_DIR "/experiments/quickstart.toml", "--set", "run.output_dir=\"" + out.string() + "\"",
         "--set", "run.name=\"locked\"", "--resume", "auto"},
        out / "scratch-auto");
    ASSERT_EQ(a.status, 1) << a.describe() << "\n" << a.err;
    EXPECT_THAT(a.err, HasSubstr("run directory " + run.string() + " is in use by " + kMe + host()));
  }
  const test::SpawnResult after = test::spawn_socrates({"resume", run.string()}, out / "scratch2");
  EXPECT_EQ(after.status, 1) << after.describe();
  EXPECT_THAT(after.err, HasSubstr("bogus_key"));  // past the lock, stopped by the bad experiment
  EXPECT_THAT(after.err, Not(HasSubstr("in use")));
  fs::remove_all(out);
}
