// The wasserstein evaluator on hand-computed cells, loaded through the real loader.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "eval_test_support.hpp"
#include "socrates/error.hpp"

using namespace eval_test;
using socrates::PredictionRow;

namespace {

std::size_t cell_row(const socrates::ResultTable& t, const std::string& study, std::int64_t cond, std::int64_t task) {
  for (std::size_t i = 0; i < t.rows.size(); ++i)
    if (str(t, i, "study_id") == study && num(t, i, "condition_num") == cond && num(t, i, "task_num") == task) return i;
  throw std::runtime_error("no cell " + study);
}

std::vector<PredictionRow> cell(const std::string& study, std::int64_t cond, std::int64_t task,
                                std::vector<double> humans, std::vector<double> preds) {
  std::vector<PredictionRow> out;
  for (double h : humans) out.push_back(human(study, cond, task, h));
  for (double p : preds) out.push_back(pred(study, cond, task, p));
  return out;
}

void set_scale(std::vector<PredictionRow>& rows, double lo, double hi) {
  for (auto& r : rows) r.scale_min = lo, r.scale_max = hi;
}

}  // namespace

TEST(Wasserstein, TableAndMetricNames) {
  const auto report = make()->evaluate(cell("s", 1, 1, {1, 2}, {2}));
  EXPECT_EQ(table(report, "cells").columns,
            (std::vector<std::string>{"study_id", "condition_num", "task_num", "n_human", "n_pred", "n_parse_failed",
                                      "range_min", "range_max", "w1_raw", "w1", "w1_uniform", "w1_bootstrap"}));
  EXPECT_EQ(table(report, "studies").columns,
            (std::vector<std::string>{"study_id", "n_cells", "w1", "w1_uniform", "w1_bootstrap"}));
  for (const char* m : {"wasserstein", "wasserstein.raw", "wasserstein.uniform", "wasserstein.bootstrap",
                        "wasserstein.parse_failure_rate", "wasserstein.cells", "wasserstein.studies",
                        "wasserstein.empty_cells", "wasserstein.unscored_cells"})
    EXPECT_TRUE(report.metrics.count(m)) << m;
}

TEST(Wasserstein, RescalesByTheHumanRangeAndClipsPredictions) {
  // Humans {1, 3, 5} (range [1, 5]); predictions {0, 3, 9}. Raw W1: 1/3 on [0,1) + 1/3 * 4 on [5,9) = 5/3.
  // Clipped predictions {1, 3, 5} equal the humans: W1 = 0. Unclipped and rescaled: (5/3) / 4.
  const auto rows = cell("s", 1, 1, {1, 3, 5}, {0, 3, 9});
  const auto clipped = make()->evaluate(rows);
  const auto& t = table(clipped, "cells");
  EXPECT_DOUBLE_EQ(num(t, 0, "w1_raw"), 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(num(t, 0, "w1"), 0.0);
  EXPECT_EQ(num(t, 0, "range_min"), 1);
  EXPECT_EQ(num(t, 0, "range_max"), 5);
  EXPECT_DOUBLE_EQ(clipped.metrics.at("wasserstein"), 0.0);
  EXPECT_DOUBLE_EQ(clipped.metrics.at("wasserstein.raw"), 5.0 / 3.0);
  const auto unclipped = make({{"clip", false}})->evaluate(rows);
  EXPECT_DOUBLE_EQ(unclipped.metrics.at("wasserstein"), 5.0 / 12.0);
  // Humans {2, 4}, predictions {4, 4}: W1 = 1/2 * 2 = 1, / width 2.
  const auto r2 = make()->evaluate(cell("s", 1, 1, {2, 4}, {4, 4}));
  EXPECT_DOUBLE_EQ(r2.metrics.at("wasserstein"), 0.5);
  EXPECT_DOUBLE_EQ(r2.metrics.at("wasserstein.raw"), 1.0);
}

TEST(Wasserstein, StatedRangeRescalesAndClipsByTheStatedScale) {
  // Humans {2, 3}, scale [1, 5], predictions {5, 9}; raw W1 = 1/2 + 2 + 2 = 4.5.
  auto rows = cell("s", 1, 1, {2, 3}, {5, 9});
  set_scale(rows, 1, 5);
  // human range [2, 3]: predictions clip to {3, 3}, W1 = 0.5, / 1.
  const auto h = make()->evaluate(rows);
  EXPECT_DOUBLE_EQ(h.metrics.at("wasserstein"), 0.5);
  EXPECT_DOUBLE_EQ(h.metrics.at("wasserstein.raw"), 4.5);
  // stated range [1, 5]: predictions clip to {5, 5}, W1 = 2.5, / 4.
  const auto s = make({{"range", "stated"}})->evaluate(rows);
  EXPECT_DOUBLE_EQ(s.metrics.at("wasserstein"), 0.625);
  EXPECT_EQ(num(table(s, "cells"), 0, "range_min"), 1);
  EXPECT_EQ(num(table(s, "cells"), 0, "range_max"), 5);
}

TEST(Wasserstein, ZeroWidthRangeScoresZeroWhenClipping) {
  const auto rows = cell("s", 1, 1, {3, 3}, {1, 5});
  const auto clipped = make()->evaluate(rows);
  EXPECT_DOUBLE_EQ(clipped.metrics.at("wasserstein"), 0.0);
  EXPECT_DOUBLE_EQ(clipped.metrics.at("wasserstein.raw"), 2.0);
  // Without clipping it cannot be rescaled: not scored, counted.
  const auto unclipped = make({{"clip", false}})->evaluate(rows);
  EXPECT_TRUE(std::isnan(unclipped.metrics.at("wasserstein")));
  EXPECT_EQ(unclipped.metrics.at("wasserstein.cells"), 0);
  EXPECT_EQ(unclipped.metrics.at("wasserstein.unscored_cells"), 1);
}

TEST(Wasserstein, AveragesCellsWithinStudiesThenStudies) {
  std::vector<PredictionRow> rows;
  add(rows, cell("A", 1, 1, {0, 2}, {0, 2}));        // 0
  add(rows, cell("A", 1, 2, {0, 2}, {2, 2}));        // W1 1, / 2 = 0.5
  add(rows, cell("A", 2, 1, {0, 2}, {0, 0}));        // 0.5
  add(rows, cell("B", 1, 1, {0, 0, 0, 10}, {10}));   // 3/4 on [0, 10): 7.5 / 10 = 0.75
  const auto report = make()->evaluate(rows);
  // Study A: 1/3, study B: 0.75; overall their mean, not the flat cell mean 0.4375.
  EXPECT_DOUBLE_EQ(report.metrics.at("wasserstein"), (1.0 / 3.0 + 0.75) / 2);
  EXPECT_EQ(report.metrics.at("wasserstein.cells"), 4);
  EXPECT_EQ(report.metrics.at("wasserstein.studies"), 2);
  const auto& studies = table(report, "studies");
  ASSERT_EQ(studies.rows.size(), 2u);
  EXPECT_EQ(str(studies, 0, "study_id"), "A");
  EXPECT_EQ(num(studies, 0, "n_cells"), 3);
  EXPECT_DOUBLE_EQ(num(studies, 0, "w1"), 1.0 / 3.0);
  EXPECT_EQ(num(studies, 1, "n_cells"), 1);
  EXPECT_DOUBLE_EQ(num(studies, 1, "w1"), 0.75);
  // Cells come ordered by study, condition, task.
  const auto& cells = table(report, "cells");
  EXPECT_EQ(cell_row(cells, "A", 2, 1), 2u);
  EXPECT_EQ(cell_row(cells, "B", 1, 1), 3u);
}

TEST(Wasserstein, ParseFailuresAndEmptyCells) {
  std::vector<PredictionRow> rows = cell("S", 1, 1, {1, 2, 3}, {2, 2});  // W1 2/3, / 2 = 1/3
  rows.push_back(failed("S", 1, 1));
  rows.push_back(failed("S", 1, 1));
  add(rows, cell("S", 1, 2, {1, 3}, {}));  // only parse failures: an empty cell
  rows.push_back(failed("S", 1, 2));
  rows.push_back(failed("S", 1, 2));
  add(rows, cell("S", 1, 3, {4, 5}, {}));  // humans, no model rows at all: also empty
  for (const std::string mode : {"worst", "skip"}) {
    SCOPED_TRACE(mode);
    const auto report = make({{"empty_cell", mode}})->evaluate(rows);
    EXPECT_DOUBLE_EQ(report.metrics.at("wasserstein.parse_failure_rate"), 4.0 / 6.0);
    EXPECT_EQ(report.metrics.at("wasserstein.empty_cells"), 2);
    const auto& t = table(report, "cells");
    EXPECT_EQ(num(t, 0, "n_pred"), 2);
    EXPECT_EQ(num(t, 0, "n_parse_failed"), 2);
    EXPECT_EQ(num(t, 1, "n_pred"), 0);
    EXPECT_EQ(num(t, 1, "n_parse_failed"), 2);
    EXPECT_TRUE(std::isnan(num(t, 1, "w1_raw")));
    EXPECT_DOUBLE_EQ(report.metrics.at("wasserstein.raw"), 2.0 / 3.0);  // only cells with predictions
    if (mode == "worst") {
      EXPECT_DOUBLE_EQ(num(t, 1, "w1"), 1.0);
      EXPECT_DOUBLE_EQ(report.metrics.at("wasserstein"), (1.0 / 3.0 + 1.0 + 1.0) / 3);
      EXPECT_EQ(report.metrics.at("wasserstein.cells"), 3);
    } else {
      EXPECT_TRUE(std::isnan(num(t, 1, "w1")));
      EXPECT_DOUBLE_EQ(report.metrics.at("wasserstein"), 1.0 / 3.0);
      EXPECT_EQ(report.metrics.at("wasserstein.cells"), 1);
    }
  }
}

TEST(Wasserstein, CellsWithoutHumansAreCountedNotScored) {
  std::vector<PredictionRow> rows = cell("S", 1, 1, {1, 2}, {1, 2});
  add(rows, cell("S", 1, 2, {}, {3, 4}));
  const auto report = make()->evaluate(rows);
  EXPECT_EQ(report.metrics.at("wasserstein.unscored_cells"), 1);
  EXPECT_EQ(report.metrics.at("wasserstein.cells"), 1);
  EXPECT_DOUBLE_EQ(report.metrics.at("wasserstein"), 0.0);
  const auto& t = table(report, "cells");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(num(t, 1, "n_human"), 0);
  EXPECT_EQ(num(t, 1, "n_pred"), 2);
  EXPECT_TRUE(std::isnan(num(t, 1, "w1")));
  EXPECT_TRUE(std::isnan(num(t, 1, "range_min")));
  // No model rows anywhere: the parse-failure rate is undefined.
  EXPECT_TRUE(std::isnan(make()->evaluate(cell("S", 1, 1, {1}, {})).metrics.at("wasserstein.parse_failure_rate")));
}

TEST(Wasserstein, DistributionRowsAreMixedWithSampledPredictions) {
  // Humans {1, 2, 2, 4} (range [1, 4]). Model rows: P(1) = P(4) = 1/2; P(2) = 1; a sampled 1.
  // Mixture: P(1) = 1/2, P(2) = 1/3, P(4) = 1/6. W1 = |1/4 - 1/2| * 1 + |3/4 - 5/6| * 2 = 5/12.
  std::vector<PredictionRow> rows = cell("S", 1, 1, {1, 2, 2, 4}, {1});
  rows.push_back(dist("S", 1, 1, {{1, 0.5}, {4, 0.5}}));
  rows.push_back(dist("S", 1, 1, {{2, 1.0}}));
  const auto report = make()->evaluate(rows);
  const auto& t = table(report, "cells");
  EXPECT_EQ(num(t, 0, "n_pred"), 3);
  EXPECT_NEAR(num(t, 0, "w1_raw"), 5.0 / 12.0, 1e-15);
  EXPECT_NEAR(num(t, 0, "w1"), 5.0 / 36.0, 1e-15);
}

TEST(Wasserstein, DistributionMassOutsideTheRangeMovesToTheEnds) {
  // Humans {1, 2, 2, 4}; P(0) = P(5) = 1/2 (unnormalised 2 + 2). Raw: .5 + .25 + .5 + .5 = 1.75.
  // Clipped to P(1) = P(4) = 1/2: .25 + .25 * 2 = .75, / 3.
  std::vector<PredictionRow> rows = cell("S", 1, 1, {1, 2, 2, 4}, {});
  rows.push_back(dist("S", 1, 1, {{0, 2.0}, {5, 2.0}}));
  const auto report = make()->evaluate(rows);
  const auto& t = table(report, "cells");
  EXPECT_NEAR(num(t, 0, "w1_raw"), 1.75, 1e-15);
  EXPECT_NEAR(num(t, 0, "w1"), 0.25, 1e-15);
}

TEST(Wasserstein, BadDistributionNamesTheCell) {
  std::vector<PredictionRow> rows = cell("S", 4, 7, {1, 2}, {});
  rows.push_back(dist("S", 4, 7, {{1, -0.5}, {2, 1.5}}));
  try {
    make()->evaluate(rows);
    FAIL() << "expected an error";
  } catch (const socrates::Error& e) {
    EXPECT_NE(std::string(e.what()).find("study S, condition 4, task 7"), std::string::npos) << e.what();
  }
}

TEST(Wasserstein, UniformReferenceOnTinyCells) {
  // Humans {1, 1, 3}, no stated scale: uniform over the human range's integers {1, 2, 3}.
  // W1 = |2/3 - 1/3| on [1, 2) = 1/3, / 2.
  const auto r1 = make()->evaluate(cell("S", 1, 1, {1, 1, 3}, {1}));
  EXPECT_DOUBLE_EQ(num(table(r1, "cells"), 0, "w1_uniform"), 1.0 / 6.0);
  EXPECT_DOUBLE_EQ(r1.metrics.at("wasserstein.uniform"), 1.0 / 6.0);
  // Humans {2, 3}, stated scale [1, 5]: uniform {1..5}. Human range [2, 3]: clipped to
  // {2, 2, 3, 3, 3}; W1 = |1/2 - 2/5| = 0.1, / 1.
  auto rows = cell("S", 1, 1, {2, 3}, {2});
  set_scale(rows, 1, 5);
  EXPECT_NEAR(num(table(make()->evaluate(rows), "cells"), 0, "w1_uniform"), 0.1, 1e-15);
  // Stated range [1, 5]: .2 + .1 + .4 + .2 = .9, / 4.
  EXPECT_NEAR(num(table(make({{"range", "stated"}})->evaluate(rows), "cells"), 0, "w1_uniform"), 0.225, 1e-15);
}

TEST(Wasserstein, BootstrapIsSeededAndDeterministic) {
  std::vector<double> humans;
  for (int i = 0; i < 20; ++i) humans.push_back((i * 7) % 11);
  const auto rows = cell("S", 1, 1, humans, {5});
  const double a = make({{"seed", 42}})->evaluate(rows).metrics.at("wasserstein.bootstrap");
  const double b = make({{"seed", 42}})->evaluate(rows).metrics.at("wasserstein.bootstrap");
  const double c = make({{"seed", 43}})->evaluate(rows).metrics.at("wasserstein.bootstrap");
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_GT(a, 0.0);
  EXPECT_LT(a, 1.0);
  // seed = 0 takes the run's seed.
  EXPECT_EQ(make({}, 42)->evaluate(rows).metrics.at("wasserstein.bootstrap"), a);
  // A cell's bootstrap does not depend on the other cells.
  auto more = rows;
  add(more, cell("R", 1, 1, {1, 2, 3}, {2}));
  const auto report = make({{"seed", 42}})->evaluate(more);
  EXPECT_EQ(num(table(report, "cells"), cell_row(table(report, "cells"), "S", 1, 1), "w1_bootstrap"), a);
  // Off: NaN.
  EXPECT_TRUE(std::isnan(make({{"bootstrap_samples", 0}})->evaluate(rows).metrics.at("wasserstein.bootstrap")));
}

TEST(Wasserstein, BootstrapOfTwoHumansConvergesToTheHandValue) {
  // Humans {0, 1}: a resample is {0,0} or {1,1} (W1 1/2, p 1/2 together) or {0,1} (W1 0), so E = 1/4.
  // 20000 replicates: standard error 0.0018.
  const auto report = make({{"bootstrap_samples", 20000}, {"seed", 5}})->evaluate(cell("S", 1, 1, {0, 1}, {0}));
  EXPECT_NEAR(report.metrics.at("wasserstein.bootstrap"), 0.25, 0.01);
  // One human: every resample equals it.
  EXPECT_EQ(make()->evaluate(cell("S", 1, 1, {3}, {3})).metrics.at("wasserstein.bootstrap"), 0.0);
}

TEST(Wasserstein, RejectsBadOptions) {
  EXPECT_THROW(make({{"bootstrap_samples", -1}}), socrates::ConfigError);
  EXPECT_THROW(make({{"seed", -3}}), socrates::ConfigError);
}
