// Evaluation reports: report.json, report.md and plots/ in a folder, and a console summary.
#pragma once

#include <filesystem>
#include <string>

#include "eval/eval_run.hpp"

namespace socrates {

/// Writes report.json, report.md and (with cairo) plots/*.{png,svg} into `dir`, creating it.
/// Each file is written atomically. `base` (may be null) is the run to compare with.
/// Metrics and tables that are absent show as "—" (null in JSON). Without cairo, logs one
/// warning and writes no plots. Throws socrates::Error naming the file on write errors.
void write_report(const std::filesystem::path& dir, const EvalRun& model, const EvalRun* base);

/// A few lines for the console, e.g.
///   W1 (lower is better): base 0.231 -> tuned 0.152 (uniform 0.203, bootstrap 0.125)
///   accuracy: base 0.310 -> tuned 0.402
/// Lines of metrics that neither run has are left out, except W1.
std::string format_summary(const EvalRun& model, const EvalRun* base);

}  // namespace socrates
