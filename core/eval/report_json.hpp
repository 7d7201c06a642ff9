// report.json: every metric and table of every run, and the comparison.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "eval/eval_run.hpp"
#include "eval/plot.hpp"

namespace socrates {

/// {"model": run, "base": run|null, "overall": [...], "per_study": [...], "comparison": {...},
///  "plots": [...]}; a run is {"label", "mode", "rows", "predictions_per_second" (null when
/// unknown), "seconds", "metrics" (all evaluators, flat), "evaluators": [{"name", "metrics",
/// "tables": [{"name", "columns", "rows"}]}]}. Absent or non-finite values are null.
nlohmann::json report_json(const EvalRun& model, const EvalRun* base, const std::vector<PlotFile>& plots);

}  // namespace socrates
