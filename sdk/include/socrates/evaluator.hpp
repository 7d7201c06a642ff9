// Concern: evaluator. Scores predictions against human answers.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "socrates/plugin.hpp"
#include "socrates/value.hpp"

namespace socrates {

/// One row of a cell (study, condition, task): a human answer, a prediction, or both.
struct PredictionRow {
  std::string study_id;
  std::int64_t condition_num = 0;
  std::int64_t task_num = 0;
  std::int64_t participant = -1;
  std::optional<double> response;    // the human answer
  std::optional<double> prediction;  // a sampled answer; nullopt with parse_failed = unparsable
  bool parse_failed = false;
  /// Exact predicted distribution as (answer, probability) pairs, when available.
  std::vector<std::pair<double, double>> distribution;
  std::optional<double> scale_min;  // stated scale, when known
  std::optional<double> scale_max;
  std::vector<std::pair<std::string, std::optional<std::string>>> demographic;
};

/// A table of results (per cell, per study, ...). Every row has one Value per column.
struct ResultTable {
  std::string name;
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
};

struct EvalReport {
  std::map<std::string, double> metrics;  // "wasserstein", "wasserstein.uniform", ...
  std::vector<ResultTable> tables;
};

class SOCRATES_API Evaluator : public Component {
 public:
  static constexpr const char* kConcern = "evaluator";

  /// Scores `rows`; metric names are prefixed with the evaluator's name.
  virtual EvalReport evaluate(const std::vector<PredictionRow>& rows) const = 0;
};

}  // namespace socrates
