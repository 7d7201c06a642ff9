// The comparison a report shows: the overall rows (model, base, uniform guess, human
// bootstrap bound) and one row per study. Shared by report.json, report.md and the plots.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "eval/eval_run.hpp"

namespace socrates {

/// The evaluator instance (and metric prefix) whose tables the report reads.
inline constexpr const char* kWasserstein = "wasserstein";

struct OverviewRow {
  std::string name;  // the run's label, "uniform guess" or "human bootstrap bound"
  std::optional<double> w1, accuracy, parity_gap, parse_failure_rate, cells;
};

/// model, base (when given), uniform guess, human bootstrap bound. The uniform and bootstrap
/// values come from the model's run (the base's when the model lacks them).
std::vector<OverviewRow> overview_rows(const EvalRun& model, const EvalRun* base);

struct StudyRow {
  std::string study_id;
  std::optional<double> cells, w1_model, w1_base, uniform, bootstrap;
};

/// One row per study of the model's `wasserstein` studies table, in its order, then the
/// studies only the base has. Empty when neither run has the table.
std::vector<StudyRow> study_rows(const EvalRun& model, const EvalRun* base);

}  // namespace socrates
