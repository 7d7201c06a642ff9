#include "cells.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "socrates/error.hpp"

namespace socrates::eval {

std::string describe(const CellKey& key) {
  return "study " + key.study_id + ", condition " + std::to_string(key.condition_num) + ", task " +
         std::to_string(key.task_num);
}

std::vector<Cell> group_cells(const std::vector<PredictionRow>& rows) {
  std::map<CellKey, std::vector<const PredictionRow*>> by_key;
  for (const PredictionRow& r : rows) by_key[{r.study_id, r.condition_num, r.task_num}].push_back(&r);
  std::vector<Cell> out;
  out.reserve(by_key.size());
  for (auto& [key, members] : by_key) out.push_back({key, std::move(members)});
  return out;
}

ModelAnswer model_answer(const PredictionRow& r) {
  if (r.parse_failed) return ModelAnswer::parse_failed;
  if (!r.distribution.empty()) return ModelAnswer::distribution;
  if (r.prediction) return ModelAnswer::sampled;
  return ModelAnswer::none;
}

std::vector<double> human_answers(RowRefs rows) {
  std::vector<double> out;
  for (const PredictionRow* r : rows)
    if (r->response) out.push_back(*r->response);
  return out;
}

std::vector<Mass> row_masses(const PredictionRow& r) {
  switch (model_answer(r)) {
    case ModelAnswer::sampled:
      return {{*r.prediction, 1.0}};
    case ModelAnswer::distribution: {
      const auto where = [&] {
        return describe({r.study_id, r.condition_num, r.task_num}) + ", participant " + std::to_string(r.participant);
      };
      long double total = 0;
      for (const auto& [value, p] : r.distribution) {
        if (!std::isfinite(value) || !std::isfinite(p) || p < 0)
          throw Error("evaluator: the predicted distribution of " + where() +
                      " has a non-finite answer or a negative/non-finite probability; fix the predictions file");
        total += p;
      }
      if (!(total > 0))
        throw Error("evaluator: the predicted distribution of " + where() + " has total probability 0");
      std::vector<Mass> out;
      out.reserve(r.distribution.size());
      for (const auto& [value, p] : r.distribution) out.push_back({value, static_cast<double>(p / total)});
      return out;
    }
    default:
      return {};
  }
}

std::vector<Mass> model_masses(RowRefs rows) {
  std::vector<Mass> out;
  for (const PredictionRow* r : rows) {
    std::vector<Mass> m = row_masses(*r);
    out.insert(out.end(), m.begin(), m.end());
  }
  return out;
}

RangeMode parse_range_mode(const std::string& s) {
  if (s == "human") return RangeMode::human;
  if (s == "stated") return RangeMode::stated;
  throw Error("evaluator: range must be \"human\" or \"stated\", got \"" + s + "\"");
}

std::optional<Range> stated_scale(RowRefs rows, const CellKey& key) {
  std::optional<Range> out;
  for (const PredictionRow* r : rows) {
    if (!r->scale_min || !r->scale_max) continue;
    const Range s{*r->scale_min, *r->scale_max, true};
    if (!(s.lo <= s.hi))
      throw Error("evaluator: " + describe(key) + " states scale_min " + std::to_string(s.lo) + " > scale_max " +
                  std::to_string(s.hi) + "; fix the dataset's scale");
    if (out && (out->lo != s.lo || out->hi != s.hi))
      throw Error("evaluator: rows of " + describe(key) + " state different scales ([" + std::to_string(out->lo) + ", " +
                  std::to_string(out->hi) + "] and [" + std::to_string(s.lo) + ", " + std::to_string(s.hi) +
                  "]); every row of a cell must state the same scale");
    out = s;
  }
  return out;
}

std::optional<Range> cell_range(RowRefs rows, const CellKey& key, RangeMode mode) {
  const std::vector<double> h = human_answers(rows);
  if (h.empty()) return std::nullopt;
  if (mode == RangeMode::stated)
    if (auto s = stated_scale(rows, key)) return s;
  const auto [lo, hi] = std::minmax_element(h.begin(), h.end());
  return Range{*lo, *hi, false};
}

double clip(double x, const Range& r) { return std::clamp(x, r.lo, r.hi); }

std::vector<Mass> clip(std::vector<Mass> m, const Range& r) {
  for (Mass& p : m) p.value = clip(p.value, r);
  return m;
}

double rescale(double x, const Range& r) {
  return r.width() > 0 ? (x - r.lo) / r.width() : std::numeric_limits<double>::quiet_NaN();
}

double rescaled_w1(std::span<const double> humans, std::span<const Mass> model, const Range& r, bool clip_model) {
  if (!(r.width() > 0)) return clip_model ? 0.0 : std::numeric_limits<double>::quiet_NaN();
  const std::vector<Mass> h = as_masses(humans);
  if (!clip_model) return w1(std::span<const Mass>(h), model) / r.width();
  const std::vector<Mass> m = clip(std::vector<Mass>(model.begin(), model.end()), r);
  return w1(std::span<const Mass>(h), std::span<const Mass>(m)) / r.width();
}

}  // namespace socrates::eval
