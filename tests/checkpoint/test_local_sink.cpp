// The `local` checkpoint sink through the real plugin loader: atomic puts, rotation with
// keep_last and keep_best, corrupt and partial checkpoints skipped with a warning, leftover
// cleanup, fetch, and that nothing older is deleted when a new checkpoint fails (a bad copy,
// a full disk).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/stat.h>

#include "io/manifest.hpp"
#include "checkpoint_test_util.hpp"
#include "log_capture.hpp"
#include "plugin/plugin_library.hpp"
#include "plugin/components.hpp"
#include "socrates/checkpoint_sink.hpp"

using namespace socrates;
using namespace ckpt_test;
using testing::HasSubstr;

namespace {

constexpr int kCannot = 77;  // the child could not mount a tmpfs

class LocalSink : public testing::Test {
 protected:
  std::shared_ptr<CheckpointSink> make(Table cfg = {}) {
    static auto lib = PluginLibrary::load(SOCRATES_PLUGIN_FILE);
    PluginContext ctx = standalone_context(*lib, "checkpoint.sinks[0]", std::move(cfg));
    ctx.run_dir = dir_.path() / "run";
    ctx.logger = capturing_logger(log_);
    return lib->create<CheckpointSink>(ctx);
  }
  // A staged checkpoint of `step` with `payload` as its optimizer file.
  CheckpointRef stage(std::int64_t step, std::map<std::string, double> metrics = {}, std::string payload = "") {
    const fs::path d = dir_ / ("stage-" + std::to_string(step));
    make_checkpoint(d, step,
                    {{"adapter/adapter_model.safetensors", "weights of step " + std::to_string(step)},
                     {"optimizer/rank-00000-of-00001.safetensors", payload.empty() ? "moments" : payload},
                     {"trainer_state.json", "{}"}},
                    metrics);
    return {step, d, metrics};
  }
  fs::path store() const { return dir_.path() / "run" / "checkpoints"; }
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(store())) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
  }
  static std::vector<std::int64_t> steps(const std::vector<CheckpointRef>& refs) {
    std::vector<std::int64_t> out;
    for (const auto& r : refs) out.push_back(r.step);
    return out;
  }

  TempDir dir_;
  std::shared_ptr<LogCapture> log_ = std::make_shared<LogCapture>();
};

TEST_F(LocalSink, PutIsAtomicAndHardLinksOnOneFileSystem) {
  auto sink = make();
  const CheckpointRef ref = stage(5, {{"eval.loss", 1.5}});
  sink->put(ref);
  EXPECT_EQ(entries(), std::vector<std::string>{"step-000000005"});  // no .tmp-* left
  const fs::path put = store() / "step-000000005";
  EXPECT_EQ(verify_checkpoint(put), "");
  // Same file system: a hard link to the staged file, not a copy.
  struct stat a {}, b {};
  ASSERT_EQ(::stat((ref.dir / "adapter/adapter_model.safetensors").c_str(), &a), 0);
  ASSERT_EQ(::stat((put / "adapter/adapter_model.safetensors").c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);
  // The staged folder can go: the checkpoint stays.
  fs::remove_all(ref.dir);
  EXPECT_EQ(verify_checkpoint(put), "");
  const auto listed = sink->list();
  ASSERT_EQ(steps(listed), std::vector<std::int64_t>{5});
  EXPECT_EQ(listed[0].dir, put);
  EXPECT_EQ(listed[0].metrics, (std::map<std::string, double>{{"eval.loss", 1.5}}));
}

TEST_F(LocalSink, KeepLastRotatesAfterTheNewOneIsComplete) {
  auto sink = make({{"keep_last", Value(std::int64_t{2})}});
  for (std::int64_t s = 1; s <= 4; ++s) sink->put(stage(s));
  EXPECT_EQ(entries(), (std::vector<std::string>{"step-000000003", "step-000000004"}));
  EXPECT_TRUE(log_->has(spdlog::level::info, "deleted checkpoint step 2"));
  EXPECT_EQ(steps(sink->list()), (std::vector<std::int64_t>{3, 4}));
}

TEST_F(LocalSink, KeepZeroKeepsAll) {
  auto sink = make({{"keep_last", Value(std::int64_t{0})}});
  for (std::int64_t s = 1; s <= 4; ++s) sink->put(stage(s));
  EXPECT_EQ(steps(sink->list()), (std::vector<std::int64_t>{1, 2, 3, 4}));
}

TEST_F(LocalSink, KeepBestKeepsTheBestInAddition) {
  auto sink = make({{"keep_last", Value(std::int64_t{1})}, {"keep_best", Value(std::string("eval.loss"))}});
  sink->put(stage(1, {{"eval.loss", 3.0}}));
  sink->put(stage(2, {{"eval.loss", 1.0}}));
  sink->put(stage(3, {{"eval.loss", 2.0}}));
  EXPECT_EQ(entries(), (std::vector<std::string>{"step-000000002", "step-000000003"}));
  sink->put(stage(4, {{"train.loss", 0.5}}));  // no eval at this step
  EXPECT_EQ(entries(), (std::vector<std::string>{"step-000000002", "step-000000004"}));
  EXPECT_TRUE(log_->has(spdlog::level::warn, "keep_best = \"eval.loss\", but checkpoint step 4 has no such metric"));
  // best_mode = "max" keeps the largest instead.
  TempDir other;
  auto max_sink = make({{"path", Value((other / "c").string())},
                        {"keep_last", Value(std::int64_t{1})},
                        {"keep_best", Value(std::string("eval.loss"))},
                        {"best_mode", Value(std::string("max"))}});
  for (auto [s, v] : {std::pair{1, 3.0}, {2, 1.0}, {3, 2.0}}) max_sink->put(stage(s + 10, {{"eval.loss", v}}));
  EXPECT_EQ(steps(max_sink->list()), (std::vector<std::int64_t>{11, 13}));
}

TEST_F(LocalSink, CorruptAndPartialCheckpointsAreSkippedWithAWarning) {
  auto sink = make({{"keep_last", Value(std::int64_t{0})}});
  for (std::int64_t s = 1; s <= 2; ++s) sink->put(stage(s));
  // A flipped byte in step 2 (written through a new file, so the staged copy is unchanged).
  const fs::path bad = store() / "step-000000002" / "optimizer/rank-00000-of-00001.safetensors";
  fs::remove(bad);
  write_bytes(bad, "momentz");
  // A step-3 folder without a manifest: a save that never finished.
  write_bytes(store() / "step-000000003" / "trainer_state.json", "{}");
  EXPECT_EQ(steps(sink->list()), std::vector<std::int64_t>{1});
  EXPECT_TRUE(log_->has(spdlog::level::warn, "skipping corrupt or partial checkpoint " +
                                                 (store() / "step-000000002").string() + ": " + bad.string() +
                                                 ": sha256"));
  EXPECT_TRUE(log_->has(spdlog::level::warn, "skipping corrupt or partial checkpoint " +
                                                 (store() / "step-000000003").string()))
      << log_->all();
  EXPECT_TRUE(log_->has(spdlog::level::warn, "no manifest"));
  // Putting step 2 again replaces the corrupt copy.
  sink->put(stage(2));
  EXPECT_EQ(steps(sink->list()), (std::vector<std::int64_t>{1, 2}));
}

TEST_F(LocalSink, LeftoversOfInterruptedSavesAreCleanedUp) {
  auto sink = make();
  sink->put(stage(1));
  write_bytes(store() / ".tmp-step-000000002" / "adapter/half", "x");
  write_bytes(store() / ".tmp-delete-step-000000000" / "y", "y");
  EXPECT_EQ(steps(sink->list()), std::vector<std::int64_t>{1});
  EXPECT_EQ(entries(), std::vector<std::string>{"step-000000001"});
  EXPECT_TRUE(log_->has(spdlog::level::info, "removing " + (store() / ".tmp-step-000000002").string() +
                                                 ", left over by an interrupted save"));
}

TEST_F(LocalSink, ABadCopyDeletesNothing) {
  auto sink = make({{"keep_last", Value(std::int64_t{1})}});
  sink->put(stage(1));
  CheckpointRef broken = stage(2);
  write_bytes(broken.dir / "trainer_state.json", "{ changed after the manifest }");
  EXPECT_THAT([&] { sink->put(broken); },
              testing::ThrowsMessage<Error>(HasSubstr("local sink: the copy does not verify")));
  EXPECT_EQ(entries(), std::vector<std::string>{"step-000000001"});  // no step-2, no .tmp-*
  EXPECT_EQ(verify_checkpoint(store() / "step-000000001"), "");
}

TEST_F(LocalSink, AFullDiskKeepsThePreviousCheckpoint) {
  const CheckpointRef small = stage(1);
  const CheckpointRef big = stage(2, {}, std::string(256 * 1024, 'm'));  // 256 KiB, on a 128 KiB disk
  auto [code, out] = in_child([&](int fd) {
    fs::create_directories(store());
    if (!private_mounts() || ::mount("tmpfs", store().c_str(), "tmpfs", 0, "size=128k") != 0) return kCannot;
    auto sink = make({{"keep_last", Value(std::int64_t{1})}});
    sink->put(small);  // another file system: copied, not linked
    try {
      sink->put(big);
      report(fd, "no error");
    } catch (const Error& e) {
      report(fd, e.what());
    }
    report(fd, "\n" + verify_checkpoint(store() / "step-000000001") + "|");
    for (const auto& e : fs::directory_iterator(store())) report(fd, e.path().filename().string() + "|");
    return 0;
  });
  if (code == kCannot) GTEST_SKIP() << "cannot mount a small tmpfs here (needs root or user namespaces)";
  ASSERT_EQ(code, 0) << out;
  EXPECT_THAT(out, HasSubstr("local sink: cannot write " + (store() / ".tmp-step-000000002").string() +
                             "/optimizer/rank-00000-of-00001.safetensors: No space left on device (the disk is "
                             "full). Checkpoint step 2 was not stored in " +
                             store().string() + "; the checkpoints already there are intact."));
  // The previous checkpoint verifies ("" before the bar) and is all that is left.
  EXPECT_THAT(out, testing::EndsWith("\n|step-000000001|"));
}

TEST_F(LocalSink, FetchCopiesOut) {
  auto sink = make();
  sink->put(stage(3, {{"eval.loss", 2.0}}));
  const fs::path dest = dir_ / "fetched";
  sink->fetch(3, dest);
  EXPECT_EQ(verify_checkpoint(dest), "");
  EXPECT_EQ(read_manifest(dest).metrics, (std::map<std::string, double>{{"eval.loss", 2.0}}));
  EXPECT_THAT([&] { sink->fetch(3, dest); }, testing::ThrowsMessage<Error>(HasSubstr("already exists")));
  EXPECT_THAT([&] { sink->fetch(7, dir_ / "f7"); },
              testing::ThrowsMessage<Error>(HasSubstr("local sink: no checkpoint step 7 in " + store().string())));
}

TEST_F(LocalSink, PuttingAStepItHoldsKeepsIt) {
  auto sink = make();
  sink->put(stage(1));
  sink->put(stage(1));
  EXPECT_TRUE(log_->has(spdlog::level::info, "already holds a complete checkpoint step 1"));
  EXPECT_EQ(entries(), std::vector<std::string>{"step-000000001"});
}

TEST_F(LocalSink, OptionsAreChecked) {
  EXPECT_THAT([&] { make({{"keep_last", Value(std::int64_t{-1})}}); },
              testing::ThrowsMessage<ConfigError>(HasSubstr("'checkpoint.sinks[0].keep_last': must be >= 0")));
  EXPECT_TRUE(make()->list().empty());  // no folder yet: nothing, no error
}

}  // namespace
