// The runs to compare: run directories and sweep directories (every variant of the sweep,
// with its name, seed, status and the sweep's wall time and memory).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "compare/run_record.hpp"

namespace socrates::compare {

struct CompareInputs {
  std::vector<RunRecord> runs;
  std::vector<std::filesystem::path> sweep_dirs;  // the sweep directories among the inputs
  std::vector<std::string> sweep_names;
};

/// Reads every input. Variants of a sweep that never started are listed with their status
/// and no values. Throws socrates::Error for a folder that is neither kind, naming it.
CompareInputs collect_runs(const std::vector<std::filesystem::path>& inputs);

}  // namespace socrates::compare
