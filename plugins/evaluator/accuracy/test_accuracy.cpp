// The accuracy evaluator on hand-computed rows, loaded through the real loader.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "eval_test_support.hpp"

using namespace eval_test;
using socrates::PredictionRow;

namespace {

// A participant row with both answers.
PredictionRow both(const std::string& study, std::int64_t cond, double h, double p) {
  PredictionRow r = human(study, cond, 1, h);
  r.prediction = p;
  return r;
}

}  // namespace

TEST(Accuracy, HandComputedRowsCellsAndStudies) {
  std::vector<PredictionRow> rows = {
      // S/1: range [1, 5]; errors 0, 1/4, and 9 clipped to 5 -> 0. Cell mean 1/12.
      both("S", 1, 1, 1), both("S", 1, 3, 2), both("S", 1, 5, 9),
      human("S", 1, 1, 2),  // human only: sets the range, not scored
      pred("S", 1, 1, 100),  // prediction only: not scored
      // S/2: range [0, 10]; errors 1, 0. Cell mean 1/2.
      both("S", 2, 0, 10), both("S", 2, 10, 10),
      // T/1: range [2, 4]; errors 0, 0.4 / 2. Cell mean 0.1. round(3.6) = 4 matches.
      both("T", 1, 2, 2), both("T", 1, 4, 3.6)};
  const auto report = make()->evaluate(rows);
  const double study_s = (1.0 / 12 + 0.5) / 2, study_t = 0.1;
  EXPECT_DOUBLE_EQ(report.metrics.at("accuracy"), 1 - (study_s + study_t) / 2);
  EXPECT_DOUBLE_EQ(report.metrics.at("accuracy.rows"), 1 - (0 + 0.25 + 0 + 1 + 0 + 0 + 0.2) / 7);
  EXPECT_DOUBLE_EQ(report.metrics.at("accuracy.exact_match"), 4.0 / 7);
  EXPECT_EQ(report.metrics.at("accuracy.rows_scored"), 7);
  const auto& t = table(report, "studies");
  EXPECT_EQ(t.columns, (std::vector<std::string>{"study_id", "n_rows", "accuracy", "exact_match"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(str(t, 0, "study_id"), "S");
  EXPECT_EQ(num(t, 0, "n_rows"), 5);
  EXPECT_DOUBLE_EQ(num(t, 0, "accuracy"), 1 - study_s);
  EXPECT_DOUBLE_EQ(num(t, 0, "exact_match"), 2.0 / 5);
  EXPECT_DOUBLE_EQ(num(t, 1, "accuracy"), 0.9);
  EXPECT_DOUBLE_EQ(num(t, 1, "exact_match"), 1.0);
}

TEST(Accuracy, DistributionRowsScoreExpectedErrorAndMatchProbability) {
  // Range [1, 5]. Human 1, P(1) = .5, P(3) = .25, P(7) = .25 (7 clips to 5):
  // E err = .25 * 2/4 + .25 * 4/4 = .375; P(answer == human) = .5. Second row: exact.
  PredictionRow d = human("S", 1, 1, 1);
  d.distribution = {{1, 0.5}, {3, 0.25}, {7, 0.25}};
  const std::vector<PredictionRow> rows = {d, both("S", 1, 5, 5)};
  const auto report = make()->evaluate(rows);
  EXPECT_DOUBLE_EQ(report.metrics.at("accuracy"), 1 - 0.375 / 2);
  EXPECT_DOUBLE_EQ(report.metrics.at("accuracy.exact_match"), 0.75);
}

TEST(Accuracy, ParseFailuresAreWorstOrSkipped) {
  PredictionRow f = human("S", 1, 1, 3);
  f.parse_failed = true;
  const std::vector<PredictionRow> rows = {both("S", 1, 1, 1), f};  // range [1, 3]
  const auto worst = make()->evaluate(rows);
  EXPECT_DOUBLE_EQ(worst.metrics.at("accuracy"), 0.5);
  EXPECT_DOUBLE_EQ(worst.metrics.at("accuracy.exact_match"), 0.5);
  EXPECT_EQ(worst.metrics.at("accuracy.rows_scored"), 2);
  const auto skip = make({{"parse_failure", "skip"}})->evaluate(rows);
  EXPECT_DOUBLE_EQ(skip.metrics.at("accuracy"), 1.0);
  EXPECT_DOUBLE_EQ(skip.metrics.at("accuracy.exact_match"), 1.0);
  EXPECT_EQ(skip.metrics.at("accuracy.rows_scored"), 1);
}

TEST(Accuracy, ZeroWidthRangeHasNoError) {
  const auto report = make()->evaluate({both("S", 1, 2, 5), both("S", 1, 2, 2)});
  EXPECT_DOUBLE_EQ(report.metrics.at("accuracy"), 1.0);
  EXPECT_DOUBLE_EQ(report.metrics.at("accuracy.exact_match"), 0.5);
}

TEST(Accuracy, StatedRangeDividesByTheStatedScale) {
  std::vector<PredictionRow> rows = {both("S", 1, 2, 4), both("S", 1, 3, 3)};
  for (auto& r : rows) r.scale_min = 0, r.scale_max = 10;
  // Human range [2, 3]: 4 clips to 3, error 1. Stated [0, 10]: error 2 / 10.
  EXPECT_DOUBLE_EQ(make()->evaluate(rows).metrics.at("accuracy"), 0.5);
  EXPECT_DOUBLE_EQ(make({{"range", "stated"}})->evaluate(rows).metrics.at("accuracy"), 0.9);
}

TEST(Accuracy, NothingToScoreIsNaN) {
  const auto report = make()->evaluate({human("S", 1, 1, 2), pred("S", 1, 1, 2)});
  EXPECT_TRUE(std::isnan(report.metrics.at("accuracy")));
  EXPECT_EQ(report.metrics.at("accuracy.rows_scored"), 0);
}
