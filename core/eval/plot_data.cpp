#include "eval/plot_data.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "eval/report_overview.hpp"
#include "eval/report_table.hpp"

namespace socrates {

std::optional<CellPicks> pick_cells(const EvalRun& run) {
  const ResultTable* t = table(run, kWasserstein, "cells");
  if (!t) return std::nullopt;
  std::optional<CellPicks> picks;
  for (std::size_t i = 0; i < t->rows.size(); ++i) {
    const auto w1 = number_at(*t, i, "w1");
    const auto n_pred = number_at(*t, i, "n_pred");
    if (!w1 || !n_pred || *n_pred <= 0) continue;
    CellPick c;
    c.study_id = text_at(*t, i, "study_id");
    c.condition_num = static_cast<std::int64_t>(number_at(*t, i, "condition_num").value_or(0));
    c.task_num = static_cast<std::int64_t>(number_at(*t, i, "task_num").value_or(0));
    c.w1 = *w1;
    c.range_min = number_at(*t, i, "range_min");
    c.range_max = number_at(*t, i, "range_max");
    if (!picks) picks = CellPicks{c, c};
    if (c.w1 < picks->best.w1) picks->best = c;
    if (c.w1 > picks->worst.w1) picks->worst = c;
  }
  return picks;
}

namespace {

bool in_cell(const PredictionRow& r, const CellPick& c) {
  return r.study_id == c.study_id && r.condition_num == c.condition_num && r.task_num == c.task_num;
}

std::int64_t level(double answer) { return static_cast<std::int64_t>(std::llround(answer)); }

/// The smallest of 1, 2, 5, 10, 20, 50, ... that makes at most `max_groups` bins.
std::int64_t bin_width(std::int64_t n_levels, std::int64_t max_groups) {
  for (std::int64_t magnitude = 1;; magnitude *= 10) {
    for (std::int64_t m : {1, 2, 5}) {
      if ((n_levels + m * magnitude - 1) / (m * magnitude) <= max_groups) return m * magnitude;
    }
  }
}

void normalise(std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += x;
  if (sum > 0) {
    for (double& x : v) x /= sum;
  }
}

}  // namespace

CellHistogram cell_histogram(const EvalRun& run, const CellPick& cell, int max_groups) {
  CellHistogram h;
  // The levels: the stated range, widened to every answer seen.
  std::optional<std::int64_t> lo, hi;
  auto widen = [&](double answer) {
    if (!std::isfinite(answer)) return;
    const std::int64_t l = level(answer);
    lo = lo ? std::min(*lo, l) : l;
    hi = hi ? std::max(*hi, l) : l;
  };
  if (cell.range_min) widen(*cell.range_min);
  if (cell.range_max) widen(*cell.range_max);
  for (const auto& r : run.rows) {
    if (!in_cell(r, cell)) continue;
    if (r.response) widen(*r.response);
    if (r.prediction) widen(*r.prediction);
    for (const auto& [answer, p] : r.distribution) {
      if (p > 0) widen(answer);
    }
  }
  if (!lo) return h;

  const std::int64_t n_levels = *hi - *lo + 1;
  const std::int64_t width = bin_width(n_levels, std::max(1, max_groups));
  const std::int64_t groups = (n_levels + width - 1) / width;
  for (std::int64_t g = 0; g < groups; ++g) {
    const std::int64_t a = *lo + g * width, b = std::min(*hi, a + width - 1);
    h.labels.push_back(a == b ? std::to_string(a) : fmt::format("{}–{}", a, b));
  }
  h.human.assign(groups, 0.0);
  h.predicted.assign(groups, 0.0);
  auto group = [&](double answer) { return static_cast<std::size_t>((level(answer) - *lo) / width); };

  for (const auto& r : run.rows) {
    if (!in_cell(r, cell)) continue;
    if (r.response && std::isfinite(*r.response)) {
      h.human[group(*r.response)] += 1;
      ++h.n_human;
    }
    double mass = 0;
    for (const auto& [answer, p] : r.distribution) {
      if (p > 0 && std::isfinite(answer)) mass += p;
    }
    if (mass > 0) {  // each row's distribution weighs as one prediction
      for (const auto& [answer, p] : r.distribution) {
        if (p > 0 && std::isfinite(answer)) h.predicted[group(answer)] += p / mass;
      }
      ++h.n_predicted;
      ++h.n_distributions;
    } else if (r.prediction && std::isfinite(*r.prediction)) {
      h.predicted[group(*r.prediction)] += 1;
      ++h.n_predicted;
    } else if (r.parse_failed) {
      ++h.n_parse_failed;
    }
  }
  normalise(h.human);
  normalise(h.predicted);
  return h;
}

std::vector<double> nice_ticks(double hi, int max_ticks) {
  if (!(hi > 0) || !std::isfinite(hi)) hi = 1;
  const double rough = hi / std::max(1, max_ticks - 1);
  const double mag = std::pow(10.0, std::floor(std::log10(rough)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * mag >= rough) {
      step = m * mag;
      break;
    }
  }
  std::vector<double> ticks;
  const int n = static_cast<int>(std::ceil(hi / step - 1e-9));
  for (int i = 0; i <= n; ++i) ticks.push_back(i * step);
  return ticks;
}

}  // namespace socrates
