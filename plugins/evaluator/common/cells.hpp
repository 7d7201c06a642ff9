// Cells (study, condition, task), their answer range, clipping and rescaling: what the
// wasserstein, accuracy and demographic_parity evaluators share.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "socrates/evaluator.hpp"
#include "w1.hpp"

namespace socrates::eval {

using RowRefs = std::span<const PredictionRow* const>;

struct CellKey {
  std::string study_id;
  std::int64_t condition_num = 0;
  std::int64_t task_num = 0;
  auto operator<=>(const CellKey&) const = default;
};

/// "study s1, condition 2, task 3", for messages.
std::string describe(const CellKey& key);

struct Cell {
  CellKey key;
  std::vector<const PredictionRow*> rows;  // in input order
};

/// The rows grouped by cell, cells ordered by (study_id, condition_num, task_num).
std::vector<Cell> group_cells(const std::vector<PredictionRow>& rows);

/// What the model said in a row. A parse failure wins over anything else the row carries;
/// then an exact distribution wins over a sampled prediction.
enum class ModelAnswer { none, parse_failed, sampled, distribution };
ModelAnswer model_answer(const PredictionRow& row);
inline bool has_valid_prediction(const PredictionRow& r) {
  const ModelAnswer a = model_answer(r);
  return a == ModelAnswer::sampled || a == ModelAnswer::distribution;
}

/// The human answers of `rows`, in order.
std::vector<double> human_answers(RowRefs rows);

/// One row's model answer as masses summing to 1: a sampled prediction is a point mass, a
/// distribution is normalised by its total. Empty for rows without a valid prediction.
/// Throws Error naming the cell and participant for a negative, non-finite or all-zero
/// distribution.
std::vector<Mass> row_masses(const PredictionRow& row);

/// The model's predicted distribution over `rows`: every row with a valid prediction adds
/// mass 1 (the mixture of the rows' distributions, sampled predictions as point masses).
std::vector<Mass> model_masses(RowRefs rows);

/// Which range rescales a cell.
enum class RangeMode {
  human,   // [min, max] of the cell's human answers
  stated,  // [scale_min, scale_max] when the cell's rows state both; else as human
};
/// "human" or "stated"; anything else throws Error.
RangeMode parse_range_mode(const std::string& s);

struct Range {
  double lo = 0;
  double hi = 0;
  bool stated = false;  // came from scale_min/scale_max
  double width() const { return hi - lo; }
};

/// The stated scale of `rows` if some row gives both ends. Throws Error naming `key` when
/// rows disagree or scale_min > scale_max.
std::optional<Range> stated_scale(RowRefs rows, const CellKey& key);

/// The cell's range under `mode`; nullopt when the cell has no human answer.
std::optional<Range> cell_range(RowRefs rows, const CellKey& key, RangeMode mode);

double clip(double x, const Range& r);
/// Every mass moved into the range; mass outside it lands on the nearer endpoint.
std::vector<Mass> clip(std::vector<Mass> m, const Range& r);
/// (x - lo) / width; NaN for a zero-width range.
double rescale(double x, const Range& r);

/// W1 between the humans and the model masses, divided by the range's width, after clipping
/// the model masses into the range when `clip_model`. A zero-width range scores 0 when
/// clipping (every clipped prediction equals the humans' one value) and NaN otherwise (it
/// cannot be rescaled).
double rescaled_w1(std::span<const double> humans, std::span<const Mass> model, const Range& r, bool clip_model);

}  // namespace socrates::eval
