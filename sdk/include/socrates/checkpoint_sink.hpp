// Concern: checkpoint sink. Persists complete checkpoint directories somewhere durable.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "socrates/plugin.hpp"

namespace socrates {

/// A complete checkpoint: `dir` holds manifest.json listing every file with size and sha256.
struct CheckpointRef {
  std::int64_t step = 0;
  std::filesystem::path dir;  // local directory (put) or the sink's own location (list)
  std::map<std::string, double> metrics;
};

class SOCRATES_API CheckpointSink : public Component {
 public:
  static constexpr const char* kConcern = "checkpoint_sink";

  /// Persists `ckpt`. The directory is complete and must not be modified; the sink copies
  /// it. May return before the copy is done (background upload). Never throws for a
  /// transient failure: it logs loudly and retries.
  virtual void put(const CheckpointRef& ckpt) = 0;
  /// Complete and verified checkpoints this sink holds, oldest first.
  virtual std::vector<CheckpointRef> list() = 0;
  /// Copies checkpoint `step` into `dest`, which must not exist yet.
  virtual void fetch(std::int64_t step, const std::filesystem::path& dest) = 0;
  /// Blocks until every put() has finished, logging progress.
  virtual void flush() = 0;
};

}  // namespace socrates
