// Checkpoint sink `local`: checkpoints in a folder on this machine, written atomically
// (temporary folder, fsync, verify, rename), rotated with keep_last/keep_best only after
// the new checkpoint is complete. See README.md and docs/checkpoints.md.
#include <algorithm>
#include <fstream>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "socrates/checkpoint_rotation.hpp"
#include "socrates/checkpoint_sink.hpp"
#include "tree_copy.hpp"

namespace fs = std::filesystem;

namespace {

const socrates_option kOptions[] = {
    {"path", SOCRATES_PATH, "\"\"", "Folder that holds the checkpoints (empty: <run_dir>/checkpoints)", nullptr},
    {"keep_last", SOCRATES_INT, "3", "Keep the newest N checkpoints (0: keep all)", nullptr},
    {"keep_best", SOCRATES_STRING, "\"\"",
     "Also keep the best checkpoint by this metric of its step, e.g. \"eval.loss\" (empty: off)", nullptr},
    {"best_mode", SOCRATES_STRING, "\"min\"", "Whether the smallest or the largest keep_best value is best", "min|max"},
};

constexpr const char* kStepPrefix = "step-";
const std::string kTmpPrefix = ".tmp-";

std::string step_name(std::int64_t step) {
  std::string digits = std::to_string(step);
  return kStepPrefix + std::string(digits.size() < 9 ? 9 - digits.size() : 0, '0') + digits;
}

// The step of a "step-000000120" folder name.
std::optional<std::int64_t> parse_step(const std::string& name) {
  const std::string prefix = kStepPrefix;
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  const std::string digits = name.substr(prefix.size());
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  try {
    return std::stoll(digits);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// The metrics manifest.json records (the host's read_manifest gives the files only).
std::map<std::string, double> manifest_metrics(const fs::path& dir) {
  std::map<std::string, double> out;
  std::ifstream in(dir / "manifest.json");
  const auto j = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("metrics") && j["metrics"].is_object())
    for (const auto& [k, v] : j["metrics"].items())
      if (v.is_number()) out[k] = v.get<double>();
  return out;
}

class LocalSink final : public socrates::CheckpointSink {
 public:
  explicit LocalSink(const socrates::PluginContext& ctx) : log_(ctx.logger), host_(ctx.host) {
    const auto& c = ctx.config;
    const fs::path p = c.get<fs::path>("path");
    dir_ = p.empty() ? ctx.run_dir / "checkpoints" : p;
    policy_.keep_last = c.get<std::int64_t>("keep_last");
    policy_.keep_best = c.get<std::string>("keep_best");
    policy_.best_mode = c.get<std::string>("best_mode");
    if (policy_.keep_last < 0)
      throw c.error("keep_last", "must be >= 0 (0 keeps every checkpoint), got " + std::to_string(policy_.keep_last));
    if (host_ == nullptr) throw socrates::Error("local sink: the plugin context has no host services");
  }

  void put(const socrates::CheckpointRef& ckpt) override {
    const fs::path dest = dir_ / step_name(ckpt.step);
    const fs::path tmp = dir_ / (kTmpPrefix + step_name(ckpt.step));
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) throw socrates::Error("local sink: cannot create " + dir_.string() + ": " + ec.message());
    if (fs::exists(dest) && host_->verify_checkpoint(dest).empty()) {
      log_->info("local sink: {} already holds a complete checkpoint step {}; keeping it", dest.string(), ckpt.step);
      return;
    }
    fs::remove_all(tmp, ec);
    try {
      local_sink::copy_tree(ckpt.dir, tmp);
      const std::string problem = host_->verify_checkpoint(tmp);
      if (!problem.empty()) throw socrates::Error("local sink: the copy does not verify: " + problem);
      if (fs::exists(dest)) {  // an older, corrupt copy of this step: move it aside first
        const fs::path old = dir_ / (kTmpPrefix + "corrupt-" + step_name(ckpt.step));
        fs::remove_all(old, ec);
        local_sink::rename_durably(dest, old);
        fs::remove_all(old, ec);
      }
      local_sink::rename_durably(tmp, dest);
    } catch (const std::exception& e) {
      fs::remove_all(tmp, ec);
      throw socrates::Error(std::string(e.what()) + ". Checkpoint step " + std::to_string(ckpt.step) +
                            " was not stored in " + dir_.string() + "; the checkpoints already there are intact.");
    }
    log_->info("local sink: checkpoint step {} saved in {}", ckpt.step, dest.string());
    rotate(ckpt.step);
  }

  std::vector<socrates::CheckpointRef> list() override {
    std::vector<socrates::CheckpointRef> out;
    for (const Entry& e : scan(/*clean=*/true)) {
      const std::string problem = host_->verify_checkpoint(e.dir);
      if (!problem.empty()) {
        log_->warn("local sink: skipping corrupt or partial checkpoint {}: {}", e.dir.string(), problem);
        continue;
      }
      out.push_back({e.step, e.dir, manifest_metrics(e.dir)});
    }
    return out;
  }

  void fetch(std::int64_t step, const fs::path& dest) override {
    const fs::path src = dir_ / step_name(step);
    if (!fs::exists(src / "manifest.json"))
      throw socrates::Error("local sink: no checkpoint step " + std::to_string(step) + " in " + dir_.string());
    if (fs::exists(dest)) throw socrates::Error("local sink: cannot fetch into " + dest.string() + ": it already exists");
    local_sink::copy_tree(src, dest);
  }

  void flush() override {}  // put() is synchronous

 private:
  struct Entry {
    std::int64_t step;
    fs::path dir;
  };

  // The step-N folders, sorted by step. With `clean`, leftovers of interrupted saves and
  // deletions (.tmp-*) are removed first.
  std::vector<Entry> scan(bool clean) {
    std::vector<Entry> out;
    std::error_code ec;
    if (!fs::is_directory(dir_, ec)) return out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      const std::string name = e.path().filename().string();
      if (clean && name.rfind(kTmpPrefix, 0) == 0) {
        log_->info("local sink: removing {}, left over by an interrupted save or deletion", e.path().string());
        fs::remove_all(e.path(), ec);
        continue;
      }
      if (auto step = parse_step(name); step && e.is_directory()) out.push_back({*step, e.path()});
    }
    std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) { return a.step < b.step; });
    return out;
  }

  // Deletes what the policy drops, never `just_put`. Only checkpoints whose manifest reads
  // and whose files have their listed sizes take part (hashing them all again would cost
  // a full read per save); others are left alone and list() warns about them.
  void rotate(std::int64_t just_put) {
    std::vector<socrates::CheckpointRef> refs;
    for (const Entry& e : scan(/*clean=*/false)) {
      if (!sizes_match(e.dir)) continue;
      refs.push_back({e.step, e.dir, manifest_metrics(e.dir)});
    }
    if (!policy_.keep_best.empty() && !warned_best_) {
      auto it = std::find_if(refs.begin(), refs.end(), [&](const auto& r) { return r.step == just_put; });
      if (it != refs.end() && !it->metrics.count(policy_.keep_best)) {
        std::string names;
        for (const auto& [k, v] : it->metrics) names += (names.empty() ? "" : ", ") + k;
        log_->warn("local sink: keep_best = \"{}\", but checkpoint step {} has no such metric (it has: {}); only "
                   "checkpoints saved at a step that has it compete for best",
                   policy_.keep_best, just_put, names.empty() ? "none" : names);
        warned_best_ = true;
      }
    }
    for (std::int64_t step : socrates::checkpoints_to_delete(refs, policy_)) {
      if (step == just_put) continue;
      const fs::path dir = dir_ / step_name(step);
      const fs::path doomed = dir_ / (kTmpPrefix + "delete-" + step_name(step));
      // Renamed first, so a crash mid-delete leaves a .tmp-* folder, never a half step-N.
      try {
        local_sink::rename_durably(dir, doomed);
      } catch (const socrates::Error& e) {
        log_->warn("local sink: cannot rotate out {}: {}", dir.string(), e.what());
        continue;
      }
      std::error_code ec;
      fs::remove_all(doomed, ec);
      log_->info("local sink: deleted checkpoint step {} (keep_last {}{})", step, policy_.keep_last,
                 policy_.keep_best.empty() ? "" : ", keep_best " + policy_.keep_best);
    }
  }

  bool sizes_match(const fs::path& dir) const {
    try {
      for (const socrates::ManifestEntry& f : host_->read_manifest(dir)) {
        std::error_code ec;
        if (fs::file_size(dir / f.path, ec) != f.size || ec) return false;
      }
      return true;
    } catch (const socrates::Error&) {
      return false;
    }
  }

  std::shared_ptr<spdlog::logger> log_;
  const socrates::HostServices* host_;
  fs::path dir_;
  socrates::RotationPolicy policy_;
  bool warned_best_ = false;
};

}  // namespace

SOCRATES_PLUGIN(socrates::CheckpointSink, LocalSink, "local", "1.0.0",
                "Checkpoints in a local folder: atomic writes (temp folder, fsync, verify, rename), keep_last/keep_best rotation",
                kOptions);
