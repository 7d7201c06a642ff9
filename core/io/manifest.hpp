// manifest.json: the list of a checkpoint's files with their sizes and sha256. A checkpoint
// folder is complete exactly when its manifest verifies (see docs/checkpoints.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "socrates/host.hpp"

namespace socrates {

struct CheckpointManifest {
  static constexpr const char* kFile = "manifest.json";
  static constexpr int kVersion = 1;

  std::int64_t step = 0;
  std::map<std::string, double> metrics;
  std::vector<ManifestEntry> files;  // sorted by path; manifest.json itself is not listed
};

/// Hashes every regular file under `dir` (recursively, manifest.json excluded) and writes
/// `dir`/manifest.json atomically. Returns what it wrote.
CheckpointManifest write_manifest(const std::filesystem::path& dir, std::int64_t step,
                                  const std::map<std::string, double>& metrics);

/// Parses `dir`/manifest.json. Throws socrates::Error naming the file when it is missing or
/// malformed (or lists a path that escapes the folder).
CheckpointManifest read_manifest(const std::filesystem::path& dir);

/// "" when every listed file exists under `dir` with its size and sha256; else the first
/// problem, naming the file. Never throws for a bad checkpoint.
std::string verify_checkpoint(const std::filesystem::path& dir);

}  // namespace socrates
