// What the plots show, computed without drawing: the model's best and worst cell, a cell's
// human and predicted answer proportions, and axis ticks. Testable without cairo.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "eval/eval_run.hpp"

namespace socrates {

struct CellPick {
  std::string study_id;
  std::int64_t condition_num = 0;
  std::int64_t task_num = 0;
  double w1 = 0;
  std::optional<double> range_min, range_max;  // from the cells table
};

struct CellPicks {
  CellPick best, worst;
};

/// The cells of the run's `wasserstein` cells table with the lowest and highest `w1`,
/// ignoring cells with n_pred 0 or no finite w1 (ties: the first in table order). nullopt
/// when the table is absent or no cell qualifies.
std::optional<CellPicks> pick_cells(const EvalRun& run);

struct CellHistogram {
  std::vector<std::string> labels;  // one per bar group: "3", or "0–4" when levels are binned
  std::vector<double> human;        // proportions, summing to 1 (all 0 when no answers)
  std::vector<double> predicted;
  std::int64_t n_human = 0;         // human answers counted
  std::int64_t n_predicted = 0;     // rows with a sampled answer or a distribution
  std::int64_t n_distributions = 0; // of which with a distribution
  std::int64_t n_parse_failed = 0;
};

/// Human answers vs predictions of one cell over its integer answer levels (the cells
/// table's range, widened to every observed answer; answers are rounded to the nearest
/// level). Predictions: each row's distribution when it has one (the mixture over rows),
/// else its sampled answer. More than `max_groups` levels are merged into bins of 2, 5, 10,
/// 20, 50, ... levels starting at the lowest level.
CellHistogram cell_histogram(const EvalRun& run, const CellPick& cell, int max_groups = 30);

/// Round tick values covering [0, hi] (hi > 0): steps of 1, 2, 2.5 or 5 x 10^k, at most
/// about `max_ticks` of them; the last tick is >= hi.
std::vector<double> nice_ticks(double hi, int max_ticks = 6);

}  // namespace socrates
