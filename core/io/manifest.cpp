#include "io/manifest.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/atomic_file.hpp"
#include "socrates/error.hpp"
#include "io/sha256.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {

// A relative path with no "..", no root and no empty part: it cannot leave the folder.
bool safe_relative(const std::string& p) {
  if (p.empty() || p.front() == '/') return false;
  for (const auto& part : fs::path(p)) {
    const std::string s = part.string();
    if (s.empty() || s == ".." || s == ".") return false;
  }
  return true;
}

}  // namespace

CheckpointManifest write_manifest(const fs::path& dir, std::int64_t step, const std::map<std::string, double>& metrics) {
  CheckpointManifest m;
  m.step = step;
  m.metrics = metrics;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string rel = fs::relative(e.path(), dir).generic_string();
    if (rel == CheckpointManifest::kFile) continue;
    m.files.push_back({rel, static_cast<std::uint64_t>(e.file_size()), sha256_file(e.path())});
  }
  std::sort(m.files.begin(), m.files.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  nlohmann::ordered_json j;
  j["format"] = "socrates-checkpoint";
  j["version"] = CheckpointManifest::kVersion;
  j["step"] = step;
  j["metrics"] = nlohmann::json::object();
  for (const auto& [k, v] : metrics) j["metrics"][k] = v;
  j["files"] = nlohmann::json::array();
  for (const auto& f : m.files) j["files"].push_back({{"path", f.path}, {"size", f.size}, {"sha256", f.sha256}});
  write_file_atomic(dir / CheckpointManifest::kFile, j.dump(1) + "\n");
  return m;
}

CheckpointManifest read_manifest(const fs::path& dir) {
  const fs::path file = dir / CheckpointManifest::kFile;
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file.string() + ": no manifest; the checkpoint is incomplete (its save was interrupted)");
  std::stringstream ss;
  ss << in.rdbuf();
  CheckpointManifest m;
  try {
    const auto j = nlohmann::json::parse(ss.str());
    if (j.value("format", "") != "socrates-checkpoint")
      throw Error(file.string() + ": not a Socrates checkpoint manifest (no \"format\": \"socrates-checkpoint\")");
    const int version = j.at("version").get<int>();
    if (version > CheckpointManifest::kVersion)
      throw Error(file.string() + ": manifest version " + std::to_string(version) + " is newer than this Socrates (" +
                  std::to_string(CheckpointManifest::kVersion) + "); update Socrates to read it");
    m.step = j.at("step").get<std::int64_t>();
    for (const auto& [k, v] : j.at("metrics").items()) m.metrics[k] = v.get<double>();
    for (const auto& f : j.at("files")) {
      ManifestEntry e{f.at("path").get<std::string>(), f.at("size").get<std::uint64_t>(), f.at("sha256").get<std::string>()};
      if (!safe_relative(e.path)) throw Error(file.string() + ": file path '" + e.path + "' leaves the checkpoint folder");
      m.files.push_back(std::move(e));
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(file.string() + ": malformed manifest (" + e.what() + ")");
  }
  return m;
}

std::string verify_checkpoint(const fs::path& dir) {
  CheckpointManifest m;
  try {
    m = read_manifest(dir);
  } catch (const Error& e) {
    return e.what();
  }
  for (const auto& f : m.files) {
    const fs::path p = dir / f.path;
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    if (ec) return p.string() + ": listed in the manifest but missing";
    if (size != f.size)
      return p.string() + ": size " + std::to_string(size) + " bytes, the manifest says " + std::to_string(f.size);
    std::string digest;
    try {
      digest = sha256_file(p);
    } catch (const Error& e) {
      return e.what();
    }
    if (digest != f.sha256) return p.string() + ": sha256 " + digest + " differs from the manifest's " + f.sha256;
  }
  return "";
}

}  // namespace socrates
