// Divergence: a non-finite loss or gradient norm stops training with "training diverged at
// step N", advice, and the last good checkpoint left as it was.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "config/settings.hpp"

namespace socrates {

/// The message for a run that diverged in step `step` (1-based): `what` says which value is not
/// finite; `last_saved` is the last checkpoint step saved (-1: none), under `run_dir`.
std::string divergence_message(std::int64_t step, const std::string& what, const TrainingSettings& t,
                               const ModelSettings& m, std::int64_t last_saved, const std::filesystem::path& run_dir);

}  // namespace socrates
