// What the plots show: the best and worst cell, cell histograms, axis ticks.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "eval/plot_data.hpp"
#include "report_fixtures.hpp"

namespace socrates {
namespace {

using ::testing::ElementsAre;
using ::testing::DoubleEq;

TEST(PickCells, LowestAndHighestW1IgnoringCellsWithoutPredictions) {
  const auto picks = pick_cells(test::tuned_run());
  ASSERT_TRUE(picks);
  // s2/2/2 has the lowest w1 (0.01) but n_pred 0; s2/3/1 has no w1.
  EXPECT_EQ(picks->best.study_id, "s1");
  EXPECT_EQ(picks->best.condition_num, 1);
  EXPECT_EQ(picks->best.task_num, 2);
  EXPECT_DOUBLE_EQ(picks->best.w1, 0.05);
  EXPECT_EQ(picks->worst.study_id, "s2");
  EXPECT_EQ(picks->worst.condition_num, 2);
  EXPECT_EQ(picks->worst.task_num, 1);
  EXPECT_DOUBLE_EQ(picks->worst.w1, 0.4);
  EXPECT_EQ(picks->worst.range_max, 10.0);
}

TEST(PickCells, NoneWithoutTheCellsTable) {
  EvalRun run = test::tuned_run();
  run.reports.erase(run.reports.begin());  // drop wasserstein
  EXPECT_FALSE(pick_cells(run));
}

TEST(CellHistogram, SampledAnswersOverTheCellsLevels) {
  const EvalRun run = test::tuned_run();
  CellPick cell{"s1", 1, 1, 0.1, 1.0, 5.0};
  const CellHistogram h = cell_histogram(run, cell);
  EXPECT_THAT(h.labels, ElementsAre("1", "2", "3", "4", "5"));
  // humans 1 2 2 3 5; predictions 2 2 3 3 and one parse failure
  EXPECT_THAT(h.human, ElementsAre(DoubleEq(0.2), DoubleEq(0.4), DoubleEq(0.2), DoubleEq(0), DoubleEq(0.2)));
  EXPECT_THAT(h.predicted, ElementsAre(DoubleEq(0), DoubleEq(0.5), DoubleEq(0.5), DoubleEq(0), DoubleEq(0)));
  EXPECT_EQ(h.n_human, 5);
  EXPECT_EQ(h.n_predicted, 4);
  EXPECT_EQ(h.n_distributions, 0);
  EXPECT_EQ(h.n_parse_failed, 1);
}

TEST(CellHistogram, ManyLevelsAreBinned) {
  const EvalRun run = test::tuned_run();
  CellPick cell{"s2", 2, 1, 0.4, 0.0, 10.0};  // 11 levels; humans 0 and 10, predictions 5 5
  EXPECT_EQ(cell_histogram(run, cell).labels.size(), 11u);
  const CellHistogram h = cell_histogram(run, cell, 4);  // bins of 2 levels would make 6: 5 levels
  EXPECT_THAT(h.labels, ElementsAre("0–4", "5–9", "10"));
  EXPECT_THAT(h.human, ElementsAre(DoubleEq(0.5), DoubleEq(0), DoubleEq(0.5)));
  EXPECT_THAT(h.predicted, ElementsAre(DoubleEq(0), DoubleEq(1), DoubleEq(0)));
  EXPECT_THAT(cell_histogram(run, cell, 6).labels, ElementsAre("0–1", "2–3", "4–5", "6–7", "8–9", "10"));
}

TEST(CellHistogram, DistributionsMixAndAnswersWidenTheRange) {
  EvalRun run;
  auto add = [&](double human, std::vector<std::pair<double, double>> dist) {
    PredictionRow r;
    r.study_id = "d";
    r.condition_num = 1;
    r.task_num = 1;
    r.response = human;
    r.distribution = std::move(dist);
    run.rows.push_back(r);
  };
  add(1, {{1, 0.5}, {2, 0.5}, {7, 0.0}});  // zero mass at 7 does not widen the levels
  add(3, {{2, 2.0}});                      // unnormalised: still weighs as one row
  add(4, {});                              // a human answer beyond the stated range
  CellPick cell{"d", 1, 1, 0.2, 1.0, 3.0};
  const CellHistogram h = cell_histogram(run, cell);
  EXPECT_THAT(h.labels, ElementsAre("1", "2", "3", "4"));
  EXPECT_THAT(h.human, ElementsAre(DoubleEq(1.0 / 3), DoubleEq(0), DoubleEq(1.0 / 3), DoubleEq(1.0 / 3)));
  EXPECT_THAT(h.predicted, ElementsAre(DoubleEq(0.25), DoubleEq(0.75), DoubleEq(0), DoubleEq(0)));
  EXPECT_EQ(h.n_predicted, 2);
  EXPECT_EQ(h.n_distributions, 2);
  EXPECT_EQ(h.n_parse_failed, 0);
}

TEST(CellHistogram, EmptyCell) {
  CellPick cell{"nobody", 1, 1, 0.0, std::nullopt, std::nullopt};
  EXPECT_TRUE(cell_histogram(test::tuned_run(), cell).labels.empty());
}

TEST(NiceTicks, RoundSteps) {
  EXPECT_THAT(nice_ticks(0.23, 6),
              ElementsAre(DoubleEq(0), DoubleEq(0.05), DoubleEq(0.1), DoubleEq(0.15), DoubleEq(0.2), DoubleEq(0.25)));
  EXPECT_THAT(nice_ticks(1.0, 6), ElementsAre(DoubleEq(0), DoubleEq(0.2), DoubleEq(0.4), DoubleEq(0.6),
                                              DoubleEq(0.8), DoubleEq(1.0)));
  EXPECT_THAT(nice_ticks(7, 5), ElementsAre(DoubleEq(0), DoubleEq(2), DoubleEq(4), DoubleEq(6), DoubleEq(8)));
}

}  // namespace
}  // namespace socrates
