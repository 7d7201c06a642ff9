// One evaluated run: the predictions of a model (or of a file) and what the evaluators said.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "socrates/evaluator.hpp"

namespace socrates {

struct EvalRun {
  std::string label;  // "tuned", "base", "step 120", "predictions"
  std::string mode;   // "sample" | "distribution" | "external"
  std::vector<PredictionRow> rows;
  std::vector<std::pair<std::string, EvalReport>> reports;  // (evaluator instance name, report)
  double predictions_per_second = 0;                        // 0 = unknown
  double seconds = 0;
};

/// The metric `name` ("wasserstein.uniform", ...) from the first report that has it.
inline std::optional<double> metric(const EvalRun& run, const std::string& name) {
  for (const auto& [evaluator, report] : run.reports) {
    if (auto it = report.metrics.find(name); it != report.metrics.end()) return it->second;
  }
  return std::nullopt;
}

/// The table `table_name` of the evaluator instance `evaluator_name`. When no instance has
/// that name, the first report with a metric called `evaluator_name` (metric names are
/// prefixed with the evaluator's name) is used. nullptr when absent.
inline const ResultTable* table(const EvalRun& run, const std::string& evaluator_name,
                                const std::string& table_name) {
  auto find_in = [&](const EvalReport& report) -> const ResultTable* {
    for (const auto& t : report.tables) {
      if (t.name == table_name) return &t;
    }
    return nullptr;
  };
  for (const auto& [evaluator, report] : run.reports) {
    if (evaluator == evaluator_name) return find_in(report);
  }
  for (const auto& [evaluator, report] : run.reports) {
    if (report.metrics.count(evaluator_name)) return find_in(report);
  }
  return nullptr;
}

}  // namespace socrates
