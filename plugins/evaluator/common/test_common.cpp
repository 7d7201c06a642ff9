// The shared evaluator code: W1 against scipy (fixtures) and by hand, ranges, clipping,
// rescaling and study averaging.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cells.hpp"
#include "eval_test_support.hpp"
#include "socrates/error.hpp"
#include "study_mean.hpp"
#include "w1.hpp"

using namespace socrates::eval;
using eval_test::human;
using eval_test::pred;

namespace {
double w1v(std::vector<double> u, std::vector<double> v) { return w1(std::span<const double>(u), std::span<const double>(v)); }
double w1m(std::vector<Mass> u, std::vector<Mass> v) { return w1(std::span<const Mass>(u), std::span<const Mass>(v)); }
}  // namespace

TEST(EvalW1, MatchesScipyOnEveryFixtureRow) {
  const auto rows = eval_test::w1_fixture_rows();
  ASSERT_FALSE(rows.empty()) << "no W1 fixture rows under " << SOCRATES_FIXTURES_DIR << "/metrics";
  for (const auto& r : rows) {
    SCOPED_TRACE(r.where);
    EXPECT_NEAR(w1v(r.human, r.pred), r.w1_raw, 1e-12 * std::max(1.0, r.w1_raw));
    // The weighted form with unit masses is the same integral.
    EXPECT_NEAR(w1m(as_masses(r.human), as_masses(r.pred)), r.w1_raw, 1e-12 * std::max(1.0, r.w1_raw));
    EXPECT_NEAR(w1v(r.pred, r.human), r.w1_raw, 1e-12 * std::max(1.0, r.w1_raw));  // symmetric
  }
}

TEST(EvalW1, HandComputedSamples) {
  EXPECT_DOUBLE_EQ(w1v({0}, {1}), 1.0);
  EXPECT_DOUBLE_EQ(w1v({3, 3}, {3}), 0.0);
  // F_u - F_v = 1/2 - 1/4 on [0, 1).
  EXPECT_DOUBLE_EQ(w1v({0, 1}, {0, 1, 1, 1}), 0.25);
  // |1/3 - 0| on [1,2) + |2/3 - 1| on [2,3).
  EXPECT_DOUBLE_EQ(w1v({1, 2, 3}, {2}), 2.0 / 3.0);
  // Order of the input does not matter.
  EXPECT_DOUBLE_EQ(w1v({5, 1, 3}, {2, 4, 0}), w1v({1, 3, 5}, {0, 2, 4}));
  EXPECT_DOUBLE_EQ(w1v({1, 3, 5}, {0, 2, 4}), 1.0);
}

TEST(EvalW1, WeightedDistributionsAreNormalised) {
  EXPECT_DOUBLE_EQ(w1m({{0, 0.5}, {2, 0.5}}, {{1, 1}}), 1.0);
  EXPECT_DOUBLE_EQ(w1m({{0, 3}, {2, 3}}, {{1, 7}}), 1.0);
  // Humans {1, 2, 2, 4} vs P(1) = 0.5, P(4) = 0.5: |1/4-1/2| on [1,2) + |3/4-1/2| on [2,4).
  EXPECT_DOUBLE_EQ(w1m(as_masses(std::vector<double>{1, 2, 2, 4}), {{4, 0.5}, {1, 0.5}}), 0.25 + 0.5);
  // Zero-weight points change nothing.
  EXPECT_DOUBLE_EQ(w1m({{0, 1}, {100, 0}}, {{1, 1}}), 1.0);
}

TEST(EvalW1, RejectsBadInput) {
  EXPECT_THROW(w1v({}, {1}), socrates::Error);
  EXPECT_THROW(w1v({1}, {NAN}), socrates::Error);
  EXPECT_THROW(w1m({{1, -1}, {2, 2}}, {{1, 1}}), socrates::Error);
  EXPECT_THROW(w1m({{1, 0}}, {{1, 1}}), socrates::Error);
}

TEST(EvalCells, GroupedAndOrderedByStudyConditionTask) {
  std::vector<socrates::PredictionRow> rows = {human("b", 1, 1, 1), human("a", 2, 1, 1), human("a", 1, 2, 1),
                                               pred("a", 1, 2, 2), human("a", 1, 1, 1)};
  const auto cells = group_cells(rows);
  ASSERT_EQ(cells.size(), 4u);
  EXPECT_EQ(cells[0].key, (CellKey{"a", 1, 1}));
  EXPECT_EQ(cells[1].key, (CellKey{"a", 1, 2}));
  EXPECT_EQ(cells[1].rows.size(), 2u);
  EXPECT_EQ(cells[2].key, (CellKey{"a", 2, 1}));
  EXPECT_EQ(cells[3].key, (CellKey{"b", 1, 1}));
}

TEST(EvalCells, RangeIsTheHumansUnlessStated) {
  std::vector<socrates::PredictionRow> rows = {human("s", 1, 1, 2), human("s", 1, 1, 5), pred("s", 1, 1, 9)};
  for (auto& r : rows) r.scale_min = 1, r.scale_max = 7;
  const auto cell = group_cells(rows).at(0);
  const auto h = cell_range(cell.rows, cell.key, RangeMode::human);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->lo, 2);
  EXPECT_EQ(h->hi, 5);
  EXPECT_FALSE(h->stated);
  const auto s = cell_range(cell.rows, cell.key, RangeMode::stated);
  EXPECT_EQ(s->lo, 1);
  EXPECT_EQ(s->hi, 7);
  EXPECT_TRUE(s->stated);
  // Without a stated scale, "stated" falls back to the human range.
  for (auto& r : rows) r.scale_max.reset();
  const auto fallback = cell_range(group_cells(rows)[0].rows, cell.key, RangeMode::stated);
  EXPECT_EQ(fallback->lo, 2);
  EXPECT_EQ(fallback->hi, 5);
  // No humans: no range.
  std::vector<socrates::PredictionRow> only_pred = {pred("s", 1, 1, 3)};
  EXPECT_FALSE(cell_range(group_cells(only_pred)[0].rows, cell.key, RangeMode::human));
}

TEST(EvalCells, ConflictingStatedScalesAreAnError) {
  std::vector<socrates::PredictionRow> rows = {human("s", 1, 1, 2), human("s", 1, 1, 5)};
  rows[0].scale_min = 1, rows[0].scale_max = 7;
  rows[1].scale_min = 1, rows[1].scale_max = 5;
  const auto cell = group_cells(rows).at(0);
  try {
    cell_range(cell.rows, cell.key, RangeMode::stated);
    FAIL() << "expected an error";
  } catch (const socrates::Error& e) {
    EXPECT_NE(std::string(e.what()).find("study s, condition 1, task 1"), std::string::npos) << e.what();
  }
}

TEST(EvalCells, ClipRescaleAndRescaledW1) {
  const Range r{2, 6, false};
  EXPECT_EQ(clip(1, r), 2);
  EXPECT_EQ(clip(7, r), 6);
  EXPECT_EQ(clip(3, r), 3);
  EXPECT_DOUBLE_EQ(rescale(3, r), 0.25);
  // Mass outside the range moves to the endpoints.
  const auto m = clip(std::vector<Mass>{{0, 0.5}, {9, 0.5}}, r);
  EXPECT_EQ(m[0].value, 2);
  EXPECT_EQ(m[1].value, 6);
  // Humans {2, 6}; predictions {0, 10} -> clipped {2, 6}: W1 = 0. Unclipped: 1/2 * 2 on [0, 2) + 1/2 * 4
  // on [6, 10) = 3, / 4.
  const std::vector<double> humans = {2, 6};
  const auto preds = as_masses(std::vector<double>{0, 10});
  EXPECT_DOUBLE_EQ(rescaled_w1(humans, preds, r, true), 0.0);
  EXPECT_DOUBLE_EQ(rescaled_w1(humans, preds, r, false), 0.75);
  // Humans {2, 6}, prediction {4}: W1 = 2, / 4.
  EXPECT_DOUBLE_EQ(rescaled_w1(humans, as_masses(std::vector<double>{4}), r, true), 0.5);
  // Zero-width range: 0 after clipping, NaN (not rescalable) without.
  const Range zero{3, 3, false};
  EXPECT_EQ(rescaled_w1(std::vector<double>{3}, preds, zero, true), 0.0);
  EXPECT_TRUE(std::isnan(rescaled_w1(std::vector<double>{3}, preds, zero, false)));
}

TEST(EvalCells, RowMassesNormaliseDistributionsAndSkipFailures) {
  auto d = eval_test::dist("s", 1, 1, {{1, 3}, {2, 1}});
  const auto m = row_masses(d);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_DOUBLE_EQ(m[0].weight, 0.75);
  EXPECT_DOUBLE_EQ(m[1].weight, 0.25);
  EXPECT_TRUE(row_masses(eval_test::failed("s", 1, 1)).empty());
  EXPECT_TRUE(row_masses(human("s", 1, 1, 3)).empty());
  auto bad = eval_test::dist("s", 1, 1, {{1, -1}, {2, 2}});
  EXPECT_THROW(row_masses(bad), socrates::Error);
  auto zero = eval_test::dist("s", 1, 1, {{1, 0}});
  EXPECT_THROW(row_masses(zero), socrates::Error);
}

TEST(EvalStudyMean, AveragesCellsWithinStudiesThenStudies) {
  StudyMean m;
  m.add("a", 0.1);
  m.add("a", 0.3);
  m.add("a", 0.5);  // study a: 0.3
  m.add("b", 0.7);  // study b: 0.7
  EXPECT_DOUBLE_EQ(m.study("a"), 0.3);
  EXPECT_DOUBLE_EQ(m.study("b"), 0.7);
  EXPECT_DOUBLE_EQ(m.overall(), 0.5);  // not the flat cell mean 0.4
  EXPECT_EQ(m.cells(), 4u);
  EXPECT_EQ(m.studies(), 2u);
  EXPECT_TRUE(std::isnan(StudyMean().overall()));
}
