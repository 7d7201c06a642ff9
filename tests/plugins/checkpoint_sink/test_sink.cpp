// test-sink: copies checkpoint directories to <dir>/step-<N> (dir is relative to the run dir).
#include <algorithm>

#include "socrates/checkpoint_sink.hpp"

namespace fs = std::filesystem;

namespace {

const socrates_option kOptions[] = {
    {"dir", SOCRATES_PATH, "\"sink\"", "where checkpoints are copied (relative: to the run dir)", nullptr},
    {"keep", SOCRATES_INT, "0", "keep only the newest N checkpoints (0 = all)", nullptr},
};

class TestSink final : public socrates::CheckpointSink {
 public:
  explicit TestSink(const socrates::PluginContext& ctx)
      : dir_(ctx.run_dir / ctx.config.get<fs::path>("dir")), keep_(ctx.config.get<std::int64_t>("keep")) {
    if (keep_ < 0) throw ctx.config.error("keep", "must be >= 0");
  }

  void put(const socrates::CheckpointRef& ckpt) override {
    const fs::path dest = dir_ / ("step-" + std::to_string(ckpt.step));
    fs::create_directories(dir_);
    fs::remove_all(dest);
    fs::copy(ckpt.dir, dest, fs::copy_options::recursive);
    auto all = list();
    const auto keep = static_cast<std::size_t>(keep_);
    for (std::size_t i = 0; keep > 0 && i + keep < all.size(); ++i) fs::remove_all(all[i].dir);
  }
  std::vector<socrates::CheckpointRef> list() override {
    std::vector<socrates::CheckpointRef> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir_, ec)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("step-", 0) == 0 && fs::exists(e.path() / "manifest.json")) {
        out.push_back({std::stoll(name.substr(5)), e.path(), {}});
      }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
    return out;
  }
  void fetch(std::int64_t step, const fs::path& dest) override {
    const fs::path src = dir_ / ("step-" + std::to_string(step));
    if (!fs::exists(src / "manifest.json")) throw socrates::Error("test-sink: no checkpoint " + std::to_string(step) + " in " + dir_.string());
    if (fs::exists(dest)) throw socrates::Error("test-sink: " + dest.string() + " already exists");
    fs::copy(src, dest, fs::copy_options::recursive);
  }
  void flush() override {}

 private:
  fs::path dir_;
  std::int64_t keep_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::CheckpointSink, TestSink, "test-sink", "1.0.0", "Local directory sink for tests", kOptions);
