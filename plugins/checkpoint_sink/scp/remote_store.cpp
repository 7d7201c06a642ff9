#include "remote_store.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>

#include "manifest_metrics.hpp"
#include "remote_shell.hpp"
#include "socrates/checkpoint_rotation.hpp"

namespace fs = std::filesystem;

namespace socrates_scp {

namespace {

// A folder name step_dir(N) -> N; -1 for any other name.
std::int64_t parse_step_dir(const std::string& name) {
  if (name.rfind("step-", 0) != 0 || name.size() == 5 || name.size() > 5 + 18) return -1;
  for (std::size_t i = 5; i < name.size(); ++i)
    if (name[i] < '0' || name[i] > '9') return -1;
  const std::int64_t step = std::stoll(name.substr(5));
  return step_dir(step) == name ? step : -1;  // canonical names only: we address it by step_dir(N)
}

// A private scratch folder for parsing remote manifests with the host's reader.
class ScratchDir {
 public:
  ScratchDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("socrates-scp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

}  // namespace

RemoteStore::RemoteStore(const ScpOptions& options, const socrates::HostServices& host,
                         std::shared_ptr<spdlog::logger> logger, const std::atomic<bool>* cancel)
    : o_(options), host_(host), log_(std::move(logger)), ssh_(options, cancel) {}

std::string RemoteStore::remote(const std::string& name) const { return o_.path + "/" + name; }

std::string RemoteStore::location(std::int64_t step) const {
  return (o_.user.empty() ? "" : o_.user + "@") + o_.host + ":" + remote(step_dir(step));
}

std::vector<std::string> RemoteStore::check(const std::vector<Expected>& files) {
  std::vector<std::string> paths;
  for (const Expected& f : files) paths.push_back(f.path);
  const std::string out = ssh_.run(verify_script(o_.path, paths), "checking sha256 sums");
  std::istringstream in(out);
  std::vector<std::string> problems;
  std::string line;
  for (const Expected& f : files) {
    if (!std::getline(in, line))
      throw TransportError("scp sink: the remote check on " + o_.endpoint() + " stopped before " + f.path);
    std::istringstream fields(line);
    std::string size_text, sha;
    fields >> size_text >> sha;
    if (size_text == "missing") {
      problems.push_back(f.path + ": missing on the remote host");
    } else if (size_text != std::to_string(f.size)) {
      problems.push_back(f.path + ": remote size " + size_text + " bytes, expected " + std::to_string(f.size));
    } else if (sha != f.sha256) {
      problems.push_back(f.path + ": remote sha256 " + sha + ", expected " + f.sha256);
    } else {
      problems.emplace_back();
    }
  }
  return problems;
}

bool RemoteStore::upload(std::int64_t step, const fs::path& dir) {
  std::vector<Expected> files;
  for (const socrates::ManifestEntry& e : host_.read_manifest(dir)) files.push_back({e.path, e.size, e.sha256});
  files.push_back({"manifest.json", static_cast<std::uint64_t>(fs::file_size(dir / "manifest.json")),
                   host_.sha256_file(dir / "manifest.json")});
  auto under = [&](const std::string& folder) {
    std::vector<Expected> out = files;
    for (Expected& f : out) f.path = folder + "/" + f.path;
    return out;
  };
  auto first_problem = [](const std::vector<std::string>& problems) {
    for (const std::string& p : problems)
      if (!p.empty()) return p;
    return std::string();
  };

  const std::string state = ssh_.run(prepare_script(o_.path, step), "preparing " + remote(tmp_step_dir(step)));
  if (state.rfind("exists", 0) == 0 && first_problem(check(under(step_dir(step)))).empty()) return false;

  ssh_.upload(dir, remote(tmp_step_dir(step)), "copying step " + std::to_string(step) + " with scp");
  const std::string problem = first_problem(check(under(tmp_step_dir(step))));
  if (!problem.empty())
    throw TransportError("scp sink: the copy of step " + std::to_string(step) + " on " + o_.endpoint() +
                         " does not verify: " + problem + " (left in " + remote(tmp_step_dir(step)) +
                         "; the upload is retried)");
  ssh_.run(promote_script(o_.path, step), "renaming " + tmp_step_dir(step) + " to " + step_dir(step));
  return true;
}

std::vector<RemoteCheckpoint> RemoteStore::checkpoints() {
  const std::string out = ssh_.run(manifests_script(o_.path), "reading the remote manifests");
  ScratchDir scratch;
  std::vector<RemoteCheckpoint> result;
  std::size_t pos = 0;
  while (pos < out.size()) {
    const std::size_t eol = out.find('\n', pos);
    const std::size_t space = out.rfind(' ', eol);
    if (eol == std::string::npos || space == std::string::npos || space < pos)
      throw TransportError("scp sink: unexpected output while listing " + o_.target());
    const std::string name = out.substr(pos, space - pos);
    const std::size_t size = std::stoull(out.substr(space + 1, eol - space - 1));
    if (eol + 1 + size > out.size())
      throw TransportError("scp sink: a manifest was cut short while listing " + o_.target());
    const std::string text = out.substr(eol + 1, size);
    pos = eol + 1 + size;
    const std::int64_t step = parse_step_dir(name);
    if (step < 0) continue;
    const fs::path local = scratch.path() / name;
    fs::create_directories(local);
    std::ofstream(local / "manifest.json", std::ios::binary) << text;
    try {
      RemoteCheckpoint c{step, host_.read_manifest(local), manifest_metrics(text, remote(name) + "/manifest.json")};
      result.push_back(std::move(c));
    } catch (const socrates::Error& e) {
      log_->warn("scp sink: skipping {} on {}: its manifest is unreadable ({})", name, o_.endpoint(), e.what());
    }
  }
  std::sort(result.begin(), result.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
  return result;
}

std::vector<std::string> RemoteStore::verify(const std::vector<RemoteCheckpoint>& checkpoints) {
  std::vector<Expected> files;
  for (const RemoteCheckpoint& c : checkpoints)
    for (const socrates::ManifestEntry& e : c.files) files.push_back({step_dir(c.step) + "/" + e.path, e.size, e.sha256});
  const std::vector<std::string> problems = files.empty() ? std::vector<std::string>() : check(files);
  std::vector<std::string> out;
  std::size_t i = 0;
  for (const RemoteCheckpoint& c : checkpoints) {
    std::string first;
    for (std::size_t k = 0; k < c.files.size(); ++k, ++i)
      if (first.empty() && !problems[i].empty()) first = problems[i];
    out.push_back(first);
  }
  return out;
}

std::vector<std::int64_t> RemoteStore::rotate() {
  if (o_.rotation.keep_last == 0) return {};
  std::vector<socrates::CheckpointRef> refs;
  for (const RemoteCheckpoint& c : checkpoints()) refs.push_back({c.step, remote(step_dir(c.step)), c.metrics});
  const std::vector<std::int64_t> doomed = socrates::checkpoints_to_delete(refs, o_.rotation);
  if (!doomed.empty()) ssh_.run(delete_script(o_.path, doomed), "deleting rotated checkpoints");
  return doomed;
}

void RemoteStore::fetch(std::int64_t step, const fs::path& dest) {
  if (fs::exists(dest))
    throw socrates::Error("scp sink: cannot fetch step " + std::to_string(step) + " into " + dest.string() +
                          ": it already exists");
  const std::vector<RemoteCheckpoint> all = checkpoints();
  if (std::none_of(all.begin(), all.end(), [&](const RemoteCheckpoint& c) { return c.step == step; })) {
    std::string have;
    for (const RemoteCheckpoint& c : all) have += (have.empty() ? "" : ", ") + std::to_string(c.step);
    throw socrates::Error("scp sink: no checkpoint step " + std::to_string(step) + " in " + o_.target() +
                          " (it holds: " + (have.empty() ? "none" : have) + ")");
  }
  const fs::path target = fs::absolute(dest);
  const fs::path tmp = target.parent_path() / ("." + target.filename().string() + ".partial");
  fs::create_directories(target.parent_path());
  fs::remove_all(tmp);
  try {
    ssh_.download(remote(step_dir(step)), tmp, "downloading step " + std::to_string(step));
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
  const std::string problem = host_.verify_checkpoint(tmp);
  if (!problem.empty()) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw socrates::Error("scp sink: the copy of step " + std::to_string(step) + " fetched from " + location(step) +
                          " is corrupt: " + problem + ". The remote checkpoint is damaged; fetch another step");
  }
  fs::rename(tmp, target);
}

}  // namespace socrates_scp
