#include "spool.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "manifest_metrics.hpp"
#include "remote_shell.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates_scp {

namespace {

void fsync_path(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::uint64_t folder_bytes(const fs::path& dir) {
  std::uint64_t total = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) total += e.file_size();
  return total;
}

// Hard-links (else copies) every file of `src` into `dst`, recreating folders.
void snapshot(const fs::path& src, const fs::path& dst) {
  fs::create_directories(dst);
  for (const auto& e : fs::recursive_directory_iterator(src)) {
    const fs::path to = dst / fs::relative(e.path(), src);
    if (e.is_directory()) {
      fs::create_directories(to);
    } else if (e.is_regular_file()) {
      std::error_code ec;
      fs::create_hard_link(e.path(), to, ec);
      if (ec) {
        fs::copy_file(e.path(), to);
        fsync_path(to);
      }
    }
  }
}

}  // namespace

SpoolEntry Spool::add(std::int64_t step, const fs::path& src, std::map<std::string, double> metrics) {
  const std::string name = step_dir(step);
  const fs::path partial = root_ / (".partial-" + name);
  const fs::path final_dir = root_ / name;
  try {
    if (!fs::is_regular_file(src / "manifest.json"))
      throw socrates::Error(src.string() + " has no manifest.json; put() takes complete checkpoints only");
    fs::create_directories(root_);
    fs::remove_all(partial);
    snapshot(src, partial);
    fsync_path(partial);
    fs::remove_all(final_dir);
    fs::rename(partial, final_dir);
    fsync_path(root_);
  } catch (const fs::filesystem_error& e) {
    std::error_code ec;
    fs::remove_all(partial, ec);
    throw socrates::Error("scp sink: cannot queue step " + std::to_string(step) + " in " + root_.string() + ": " +
                          e.what() + " (is the disk full?)");
  } catch (...) {
    std::error_code ec;
    fs::remove_all(partial, ec);
    throw;
  }
  return {step, final_dir, folder_bytes(final_dir), std::move(metrics)};
}

std::vector<SpoolEntry> Spool::recover() {
  std::vector<SpoolEntry> out;
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) return out;
  for (const auto& e : fs::directory_iterator(root_)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(".partial-", 0) == 0) {
      fs::remove_all(e.path(), ec);
      continue;
    }
    if (name.rfind("step-", 0) != 0 || !e.is_directory()) continue;
    std::int64_t step = 0;
    try {
      step = std::stoll(name.substr(5));
    } catch (const std::exception&) {
      continue;
    }
    std::map<std::string, double> metrics;
    try {
      metrics = manifest_metrics(e.path());
    } catch (const socrates::Error&) {
      // Left for the upload's own check to report (and quarantine).
    }
    out.push_back({step, e.path(), folder_bytes(e.path()), std::move(metrics)});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
  return out;
}

void Spool::remove(const SpoolEntry& entry) {
  fs::remove_all(entry.dir);
  fsync_path(root_);
}

fs::path Spool::quarantine(const SpoolEntry& entry) {
  const fs::path to = root_ / ("bad-" + step_dir(entry.step));
  fs::remove_all(to);
  fs::rename(entry.dir, to);
  return to;
}

}  // namespace socrates_scp
