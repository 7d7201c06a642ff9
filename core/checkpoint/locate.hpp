// Finding the checkpoint to resume from: the newest complete, verified one over every sink.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint/sinks.hpp"

namespace socrates {

struct LocatedCheckpoint {
  std::int64_t step = 0;
  std::filesystem::path dir;  // a verified checkpoint folder on this machine
  std::string source;         // the sink's label
  bool fetched = false;       // `dir` is a temporary copy under the staging folder
};

/// Lists every sink, takes the highest step (a local sink first at equal steps, then config
/// order), verifies it and uses it. A checkpoint only a remote sink holds is fetched into
/// `staging`, verified, and put back into every local sink. A corrupt or partial candidate is
/// skipped with a warning naming it, as is a sink that cannot be listed. nullopt: none.
std::optional<LocatedCheckpoint> locate_checkpoint(std::vector<SinkHandle>& sinks, const std::filesystem::path& staging);

}  // namespace socrates
