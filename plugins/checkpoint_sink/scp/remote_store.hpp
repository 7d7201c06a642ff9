// The checkpoints under `path` on the SSH server: upload with remote verification, listing,
// rotation and download. Remote layout: <path>/step-N/ (complete, verified) and
// <path>/.tmp-step-N/ (an upload in progress).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "scp_options.hpp"
#include "socrates/host.hpp"
#include "ssh_client.hpp"

namespace socrates_scp {

/// A remote step-N folder whose manifest.json exists and parses.
struct RemoteCheckpoint {
  std::int64_t step = 0;
  std::vector<socrates::ManifestEntry> files;  // as its manifest lists them
  std::map<std::string, double> metrics;
};

class RemoteStore {
 public:
  RemoteStore(const ScpOptions& options, const socrates::HostServices& host, std::shared_ptr<spdlog::logger> logger,
              const std::atomic<bool>* cancel);

  /// Copies the complete local checkpoint `dir` to <path>/.tmp-step-N, checks the size and
  /// sha256 of every file (manifest.json included) on the remote host, then renames it to
  /// step-N. If step-N is already there and verifies, copies nothing and returns false.
  /// Throws TransportError when ssh/scp fails or the copy does not verify.
  bool upload(std::int64_t step, const std::filesystem::path& dir);

  /// Remote step-N folders with a readable manifest, oldest first. A malformed manifest is
  /// skipped with a warning.
  std::vector<RemoteCheckpoint> checkpoints();
  /// For each checkpoint, "" if every listed file has its size and sha256 on the remote
  /// host, else the first problem, naming the file.
  std::vector<std::string> verify(const std::vector<RemoteCheckpoint>& checkpoints);
  /// Deletes the remote checkpoints the rotation policy does not keep; returns their steps.
  std::vector<std::int64_t> rotate();
  /// Downloads step-N into `dest` (which must not exist) through a temporary sibling folder,
  /// and verifies it with HostServices::verify_checkpoint before renaming it to `dest`.
  void fetch(std::int64_t step, const std::filesystem::path& dest);

  /// "user@host:path/step-N", for messages and CheckpointRef::dir.
  std::string location(std::int64_t step) const;

 private:
  struct Expected {
    std::string path;  // relative to options.path
    std::uint64_t size;
    std::string sha256;
  };
  /// One entry per file: "" if it matches, else the problem.
  std::vector<std::string> check(const std::vector<Expected>& files);
  std::string remote(const std::string& name) const;

  ScpOptions o_;
  const socrates::HostServices& host_;
  std::shared_ptr<spdlog::logger> log_;
  SshClient ssh_;
};

}  // namespace socrates_scp
