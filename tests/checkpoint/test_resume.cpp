// Resume, end to end, through the real `socrates` executable in child processes on the
// CPU: a run killed with SIGKILL or stopped with SIGTERM and then resumed has the same loss
// curve (every metrics.jsonl number, bit for bit) and the same final adapter bytes as a run
// that was never interrupted. Also: --resume auto, a changed config, resuming from a remote
// sink alone, and a full checkpoint disk.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <regex>
#include <thread>

#include <nlohmann/json.hpp>

#include "io/manifest.hpp"
#include "checkpoint_test_util.hpp"

using namespace socrates;
using namespace ckpt_test;
using testing::HasSubstr;

namespace {

constexpr int kCannot = 77;  // the child could not mount a tmpfs

// Shared by all tests: the experiment files and the uninterrupted reference run.
struct World {
  TempDir tmp;
  fs::path exp;          // the experiment: 12 steps, a checkpoint every 2, evaluation every 4
  fs::path exp_remote;   // the same with a local sink and a second, "remote" sink (test-sink)
  fs::path reference;    // run directory of the uninterrupted run
};

World* world = nullptr;

std::vector<std::string> socrates(std::vector<std::string> args) {
  args.insert(args.begin(), SOCRATES_EXE);
  return args;
}

fs::path runs() { return world->tmp / "runs"; }

// The one run directory <runs>/<name>-*, or "" if there is none yet.
fs::path run_dir_of(const std::string& name) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(runs(), ec)) {
    const std::string leaf = e.path().filename().string();
    if (leaf.rfind(name + "-2", 0) == 0) return e.path();  // <name>-<year 2xxx>...
  }
  return {};
}

// Every metrics.jsonl line without its wall-clock fields, as JSON text: equal text means
// equal numbers, bit for bit (doubles are written with round-trip precision).
std::vector<std::string> curve(const fs::path& run) {
  std::vector<std::string> out;
  std::ifstream in(run / "metrics.jsonl");
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line);
    for (const char* k : {"time", "tokens_per_s", "mfu", "peak_mem_gib"}) j.erase(k);
    out.push_back(j.dump());
  }
  return out;
}

// Starts `name`, waits until its local sink holds checkpoint `step`, then sends `signo`.
// Returns the child's exit status (128 + signal when killed) and its run directory.
std::pair<int, fs::path> interrupt(const fs::path& exp, const std::string& name, std::int64_t step, int signo,
                                   const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"run", exp.string(), "--set", "run.name=" + name};
  args.insert(args.end(), extra.begin(), extra.end());
  const Child c = spawn(socrates(args), world->tmp / (name + ".log"));
  char want[32];
  std::snprintf(want, sizeof want, "step-%09lld", static_cast<long long>(step));
  fs::path dir;
  for (;;) {
    if (dir.empty()) dir = run_dir_of(name);
    if (!dir.empty() && fs::exists(dir / "checkpoints" / want)) break;  // renamed into place: complete
    int status = 0;
    if (::waitpid(c.pid, &status, WNOHANG) == c.pid) {
      ADD_FAILURE() << name << " ended before checkpoint " << want << ":\n" << read_bytes(c.log);
      return {-1, dir};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(c.pid, signo);
  return {wait_for(c), dir};
}

// The adapter files of a run.
std::pair<std::string, std::string> adapter(const fs::path& run) {
  return {read_bytes(run / "adapter/adapter_model.safetensors"), read_bytes(run / "adapter/adapter_config.json")};
}

void expect_same_as_reference(const fs::path& run) {
  const auto want = curve(world->reference), got = curve(run);
  ASSERT_FALSE(want.empty());
  EXPECT_EQ(got, want);
  const auto [w, wc] = adapter(world->reference);
  const auto [g, gc] = adapter(run);
  EXPECT_FALSE(w.empty());
  EXPECT_TRUE(g == w) << "the final adapter weights differ from the uninterrupted run's";
  EXPECT_EQ(gc, wc);
}

class Resume : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    world = new World;
    const fs::path src = SOCRATES_SOURCE_DIR;
    world->exp = world->tmp / "exp.toml";
    // The quickstart's pieces (not the quickstart itself: no evaluators to build and run).
    std::string includes;
    for (const char* f : {"paper-hparams.toml", "lora-r16.toml", "single-device.toml", "synthetic-data.toml"})
      includes += (includes.empty() ? "\"" : ", \"") + (src / "configs" / f).string() + "\"";
    std::ofstream(world->exp) << "include = [" << includes << "]\n"
                              << "[run]\nname = \"reference\"\noutput_dir = \"" << runs().string()
                              << "\"\nseed = 42\ndevice = \"cpu\"\n"
                              << "[model]\nshape = \"" << (src / "tests/checkpoint/tiny-model/config.json").string()
                              << "\"\ndtype = \"float32\"\n"
                              << "[data]\ncache_dir = \"" << (world->tmp / "cache").string()
                              << "\"\ninspect_examples = 0\n"
                              << "max_seq_len = 512\n"
                              << "[training]\nglobal_batch_size = 8\nmicro_batch_size = 4\nmax_steps = 12\n"
                              << "lr = 1e-2\ngradient_checkpointing = false\n"
                              << "eval_every = 4\neval_max_examples = 16\nsample_generations = 0\nlog_every = 1\n"
                              << "[checkpoint]\nsave_every = 2\n";
    world->exp_remote = world->tmp / "exp-remote.toml";
    // test-sink is a stub plugin, built outside the host's plugin directory.
    std::ofstream(world->exp_remote) << "include = [\"exp.toml\"]\n"
                                     << "[plugins]\npaths = [\"" << SOCRATES_TEST_PLUGIN_DIR << "\"]\n"
                                     << "[[checkpoint.sinks]]\nplugin = \"local\"\nkeep_last = 2\n"
                                     << "[[checkpoint.sinks]]\nplugin = \"test-sink\"\ndir = \""
                                     << (world->tmp / "remote").string() << "\"\n";
    const int rc = run(socrates({"run", world->exp.string()}), world->tmp / "reference.log");
    ASSERT_EQ(rc, 0) << read_bytes(world->tmp / "reference.log");
    world->reference = run_dir_of("reference");
  }
  static void TearDownTestSuite() {
    delete world;
    world = nullptr;
  }
  void SetUp() override {
    if (world->reference.empty()) GTEST_SKIP() << "the reference run failed";
  }
};

TEST_F(Resume, TheReferenceRunKeptItsNewestCheckpoints) {
  // save_every 2 over 12 steps, local sink defaults (keep_last 3): 8, 10 and 12 remain.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(world->reference / "checkpoints")) names.push_back(e.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"step-000000008", "step-000000010", "step-000000012"}));
  const fs::path last = world->reference / "checkpoints/step-000000012";
  EXPECT_EQ(verify_checkpoint(last), "");
  for (const char* f : {"adapter/adapter_model.safetensors", "adapter/adapter_config.json",
                        "optimizer/rank-00000-of-00001.safetensors", "rng/rank-00000.safetensors",
                        "trainer_state.json", "config.resolved.toml", "metrics.jsonl"})
    EXPECT_TRUE(fs::exists(last / f)) << f;
  EXPECT_FALSE(fs::exists(world->reference / ".staging/step-000000012"));
  // The checkpoint's adapter is the run's final adapter.
  EXPECT_EQ(read_bytes(last / "adapter/adapter_model.safetensors"),
            read_bytes(world->reference / "adapter/adapter_model.safetensors"));
  EXPECT_EQ(curve(world->reference).size(), 12u + 4u);  // 12 train lines, eval at 0, 4, 8, 12
  EXPECT_THAT(read_bytes(world->tmp / "reference.log"),
              HasSubstr("no [[checkpoint.sinks]] configured; using the local sink with its defaults"));
}

TEST_F(Resume, AfterSigkillTheLossCurveAndAdapterAreBitForBitTheSame) {
  auto [rc, dir] = interrupt(world->exp, "killed", 4, SIGKILL);
  ASSERT_EQ(rc, 128 + SIGKILL);
  ASSERT_FALSE(fs::exists(dir / "adapter")) << "the run finished before it was killed";
  const fs::path log = world->tmp / "killed-resume.log";
  ASSERT_EQ(run(socrates({"resume", dir.string()}), log), 0) << read_bytes(log);
  EXPECT_THAT(read_bytes(log), testing::ContainsRegex("resumed from checkpoint step ([4-9]|1[01]) of 12"));
  expect_same_as_reference(dir);
}

TEST_F(Resume, SigtermSavesAndExitsWith143ThenResumesIdentically) {
  auto [rc, dir] = interrupt(world->exp, "term", 2, SIGTERM);
  ASSERT_EQ(rc, 128 + SIGTERM) << read_bytes(world->tmp / "term.log");
  const std::string out = read_bytes(world->tmp / "term.log");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex("stopped by SIGTERM at step (\\d+); resume with: socrates resume (.*)")))
      << out;
  EXPECT_EQ(m[2].str(), dir.string());
  const int step = std::stoi(m[1].str());
  char name[32];
  std::snprintf(name, sizeof name, "step-%09d", step);
  EXPECT_EQ(verify_checkpoint(dir / "checkpoints" / name), "");  // saved at the step it stopped
  EXPECT_LT(step, 12);
  const fs::path log = world->tmp / "term-resume.log";
  ASSERT_EQ(run(socrates({"resume", dir.string()}), log), 0) << read_bytes(log);
  EXPECT_THAT(read_bytes(log), HasSubstr("resumed from checkpoint step " + std::to_string(step) + " of 12"));
  expect_same_as_reference(dir);
}

TEST_F(Resume, ResumeAutoRejectsAChangedConfigThenContinuesTheSameRunDirectory) {
  auto [rc, dir] = interrupt(world->exp, "auto", 4, SIGKILL);
  ASSERT_EQ(rc, 128 + SIGKILL);
  const fs::path bad = world->tmp / "auto-changed.log";
  EXPECT_EQ(run(socrates({"run", world->exp.string(), "--set", "run.name=auto", "--set",
                          "training.global_batch_size=4", "--resume", "auto"}),
                bad),
            1);
  const std::string err = read_bytes(bad);
  EXPECT_THAT(err, HasSubstr("cannot resume from " + (dir / "checkpoints").string() + "/step-"));
  EXPECT_THAT(err, HasSubstr("training.global_batch_size: 4 now, 8 in the checkpoint"));
  EXPECT_THAT(err, HasSubstr("start a new run without --resume"));
  const fs::path ok = world->tmp / "auto-resume.log";
  ASSERT_EQ(run(socrates({"run", world->exp.string(), "--set", "run.name=auto", "--resume", "auto"}), ok), 0)
      << read_bytes(ok);
  EXPECT_THAT(read_bytes(ok), HasSubstr("--resume auto: continuing the newest run directory " + dir.string()));
  expect_same_as_reference(dir);
  EXPECT_EQ(run_dir_of("auto"), dir);  // no second run directory
}

TEST_F(Resume, ResumeAutoWithNoCheckpointStartsFromScratch) {
  const fs::path log = world->tmp / "fresh.log";
  ASSERT_EQ(run(socrates({"run", world->exp.string(), "--set", "run.name=fresh", "--set", "training.max_steps=2",
                          "--resume", "auto"}),
                log),
            0)
      << read_bytes(log);
  EXPECT_THAT(read_bytes(log), HasSubstr("resume: no complete checkpoint in any sink"));
  EXPECT_TRUE(fs::exists(run_dir_of("fresh") / "checkpoints/step-000000002/manifest.json"));
}

TEST_F(Resume, FromTheRemoteSinkAloneAfterLosingTheRunDirectory) {
  auto [rc, dir] = interrupt(world->exp_remote, "remote", 8, SIGKILL);
  ASSERT_EQ(rc, 128 + SIGKILL);
  // The remote holds every checkpoint it got; break the newest so resume has to skip it.
  std::vector<fs::path> remote;
  for (const auto& e : fs::directory_iterator(world->tmp / "remote"))
    if (fs::exists(e.path() / "manifest.json")) remote.push_back(e.path());
  std::sort(remote.begin(), remote.end(), [](const fs::path& a, const fs::path& b) {
    return std::stoll(a.filename().string().substr(5)) < std::stoll(b.filename().string().substr(5));
  });
  ASSERT_GE(remote.size(), 2u);
  const fs::path broken = remote.back();
  write_bytes(broken / "trainer_state.json", "{}");
  const std::int64_t expected = std::stoll(remote[remote.size() - 2].filename().string().substr(5));
  fs::remove_all(dir);  // the machine and its disk are gone

  const fs::path log = world->tmp / "remote-resume.log";
  ASSERT_EQ(run(socrates({"run", world->exp_remote.string(), "--set", "run.name=remote", "--resume", "auto"}), log), 0)
      << read_bytes(log);
  const std::string out = read_bytes(log);
  EXPECT_THAT(out, HasSubstr("resume: skipping checkpoint step " + broken.filename().string().substr(5) +
                             " of checkpoint.sinks[1] (test-sink)"));
  EXPECT_THAT(out, HasSubstr("resume: fetching checkpoint step " + std::to_string(expected) +
                             " from checkpoint.sinks[1] (test-sink)"));
  EXPECT_THAT(out, HasSubstr("putting the fetched checkpoint step " + std::to_string(expected) +
                             " back into checkpoint.sinks[0] (local)"));
  const fs::path again = run_dir_of("remote");
  ASSERT_FALSE(again.empty());
  expect_same_as_reference(again);
}

TEST_F(Resume, AFullCheckpointDiskStopsWithAClearErrorAndKeepsThePreviousCheckpoint) {
  // Room for one checkpoint but not two: the local sink copies across file systems and
  // keeps the old checkpoint until the new one is verified, so the second save fails.
  std::uintmax_t bytes = 0;
  const fs::path sample = world->reference / "checkpoints/step-000000012";
  for (const auto& e : fs::recursive_directory_iterator(sample)) bytes += ((e.is_regular_file() ? e.file_size() : 0) + 8191) / 4096 * 4096;
  const std::string size = "size=" + std::to_string(bytes * 3 / 2 / 1024 + 1) + "k";
  const fs::path disk = world->tmp / "small-disk";
  fs::create_directories(disk);
  const fs::path exp = world->tmp / "exp-full.toml";
  std::ofstream(exp) << "include = [\"exp.toml\"]\n[[checkpoint.sinks]]\nplugin = \"local\"\nkeep_last = 1\npath = \""
                     << disk.string() << "\"\n";
  const fs::path log = world->tmp / "full.log";
  auto [code, out] = in_child([&](int fd) {
    if (!private_mounts() || ::mount("tmpfs", disk.c_str(), "tmpfs", 0, size.c_str()) != 0) return kCannot;
    const int rc = run(socrates({"run", exp.string(), "--set", "run.name=full"}), log);
    report(fd, "rc=" + std::to_string(rc) + "\n");
    for (const auto& e : fs::directory_iterator(disk))
      report(fd, e.path().filename().string() + ": [" + verify_checkpoint(e.path()) + "]\n");
    return 0;
  });
  if (code == kCannot) GTEST_SKIP() << "cannot mount a small tmpfs here (needs root or user namespaces)";
  ASSERT_EQ(code, 0) << out;
  const std::string err = read_bytes(log);
  EXPECT_EQ(out, "rc=1\nstep-000000002: []\n") << err;  // only the previous checkpoint, and it verifies
  const fs::path dir = run_dir_of("full");
  EXPECT_THAT(err, HasSubstr("checkpoint step 4 could not be saved: checkpoint.sinks[0] (local): local sink: cannot write " +
                             (disk / ".tmp-step-000000004").string()));
  EXPECT_THAT(err, HasSubstr("No space left on device (the disk is full)"));
  EXPECT_THAT(err, HasSubstr("The previous checkpoint is intact. Fix the cause (free space, ...), then continue "
                             "with: socrates resume " + dir.string()));
  EXPECT_FALSE(fs::exists(dir / ".staging/step-000000004"));  // the staging copy is cleaned up
}

}  // namespace
