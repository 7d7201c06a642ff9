// The local upload queue on disk: <run_dir>/.upload-queue/<host>-<port>-<id>/step-N/, one
// snapshot per checkpoint waiting for upload. It survives a crash; an entry is removed only
// after its remote copy is verified (or when a newer queued checkpoint makes it obsolete).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace socrates_scp {

struct SpoolEntry {
  std::int64_t step = 0;
  std::filesystem::path dir;
  std::uint64_t bytes = 0;  // total size of its files
  std::map<std::string, double> metrics;
};

class Spool {
 public:
  explicit Spool(std::filesystem::path root) : root_(std::move(root)) {}
  const std::filesystem::path& root() const { return root_; }

  /// Snapshots the checkpoint folder `src` as step-N: hard links of its files (a copy where
  /// linking fails, e.g. across file systems) into .partial-step-N, then a rename, so the
  /// caller may delete `src` as soon as this returns. Replaces an older step-N. Throws
  /// socrates::Error naming the file on failure (full disk, ...), leaving no partial entry.
  SpoolEntry add(std::int64_t step, const std::filesystem::path& src, std::map<std::string, double> metrics);

  /// The complete entries, oldest first (metrics from their manifest.json). Removes the
  /// .partial-* leftovers of an interrupted add().
  std::vector<SpoolEntry> recover();

  /// Deletes an entry (after its upload is verified).
  void remove(const SpoolEntry& entry);
  /// Moves a corrupt entry aside to bad-step-N, so it is neither retried nor lost.
  std::filesystem::path quarantine(const SpoolEntry& entry);

 private:
  std::filesystem::path root_;
};

}  // namespace socrates_scp
