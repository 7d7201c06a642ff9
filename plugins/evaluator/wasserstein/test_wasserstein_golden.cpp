// Golden: the plugin's per-cell w1_raw against scipy.stats.wasserstein_distance on every row
// of every W1 fixture (../shared/fixtures/metrics/*.json), loaded through the real loader.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "eval_test_support.hpp"

using namespace eval_test;

namespace {

// One cell per fixture row: humans are response-only rows, predictions prediction-only rows.
std::vector<socrates::PredictionRow> cell_rows(const FixtureRow& f, const std::string& study) {
  std::vector<socrates::PredictionRow> out;
  for (double h : f.human) out.push_back(human(study, 1, 1, h));
  for (double p : f.pred) out.push_back(pred(study, 1, 1, p));
  for (auto& r : out) r.scale_min = f.scale_min, r.scale_max = f.scale_max;
  return out;
}

}  // namespace

TEST(WassersteinGolden, EachFixtureRowAlone) {
  const auto fixture = w1_fixture_rows();
  ASSERT_FALSE(fixture.empty()) << "no W1 fixture rows under " << SOCRATES_FIXTURES_DIR << "/metrics";
  const auto eval = make({{"bootstrap_samples", 0}});
  for (const auto& f : fixture) {
    SCOPED_TRACE(f.where);
    const auto report = eval->evaluate(cell_rows(f, "s"));
    const auto& cells = table(report, "cells");
    ASSERT_EQ(cells.rows.size(), 1u);
    EXPECT_NEAR(num(cells, 0, "w1_raw"), f.w1_raw, 1e-9);
    EXPECT_NEAR(report.metrics.at("wasserstein.raw"), f.w1_raw, 1e-9);
    EXPECT_EQ(num(cells, 0, "n_human"), static_cast<double>(f.human.size()));
    EXPECT_EQ(num(cells, 0, "n_pred"), static_cast<double>(f.pred.size()));
  }
}

TEST(WassersteinGolden, AllFixtureRowsInOneRun) {
  const auto fixture = w1_fixture_rows();
  ASSERT_FALSE(fixture.empty());
  std::vector<socrates::PredictionRow> rows;
  for (std::size_t i = 0; i < fixture.size(); ++i) add(rows, cell_rows(fixture[i], "fixture-" + std::to_string(i)));
  const auto report = make()->evaluate(rows);
  const auto& cells = table(report, "cells");
  ASSERT_EQ(cells.rows.size(), fixture.size());
  EXPECT_EQ(report.metrics.at("wasserstein.cells"), static_cast<double>(fixture.size()));
  for (std::size_t i = 0; i < fixture.size(); ++i) {
    SCOPED_TRACE(fixture[i].where);
    const std::size_t r = find_row(cells, "study_id", "fixture-" + std::to_string(i));
    EXPECT_NEAR(num(cells, r, "w1_raw"), fixture[i].w1_raw, 1e-9);
    // Rescaled and clipped: within [0, 1] and never above the raw distance / range.
    const double w = num(cells, r, "w1"), width = num(cells, r, "range_max") - num(cells, r, "range_min");
    EXPECT_GE(w, 0.0);
    EXPECT_LE(w, 1.0);
    if (width > 0) EXPECT_LE(w, fixture[i].w1_raw / width + 1e-12);
  }
}
