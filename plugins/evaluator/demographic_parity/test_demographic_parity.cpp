// The demographic_parity evaluator on hand-made groups, loaded through the real loader.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "eval_test_support.hpp"

using namespace eval_test;
using socrates::PredictionRow;

namespace {

PredictionRow person(const std::string& study, double h, double p,
                     std::vector<std::pair<std::string, std::optional<std::string>>> demo) {
  PredictionRow r = human(study, 1, 1, h);
  r.prediction = p;
  r.demographic = std::move(demo);
  return r;
}

PredictionRow gendered(const std::string& study, double h, double p, const std::string& g) {
  return person(study, h, p, {{"gender", g}});
}

// S: F humans {0, 4} preds {0, 4} -> 0; M humans {2, 4} preds {4, 4} -> W1 1 / whole-cell width 4 = 0.25
//    (the group's own range [2, 4] would give 0.5).
// T: F humans {0, 2} preds {2, 2} -> W1 1; a participant without gender answers 10, so the cell's
//    range is [0, 10]: 0.1. F = mean over studies (0 + 0.1) / 2 = 0.05; M = 0.25; gap 0.2.
std::vector<PredictionRow> two_groups() {
  return {gendered("S", 0, 0, "F"), gendered("S", 4, 4, "F"), gendered("S", 2, 4, "M"),
          gendered("S", 4, 4, "M"), gendered("T", 0, 2, "F"), gendered("T", 2, 2, "F"),
          person("T", 10, 10, {{"gender", std::nullopt}})};
}

}  // namespace

TEST(DemographicParity, HandComputedTwoGroupGap) {
  const auto report = make({{"min_group_size", 1}})->evaluate(two_groups());
  EXPECT_DOUBLE_EQ(report.metrics.at("demographic_parity.gender"), 0.2);
  EXPECT_DOUBLE_EQ(report.metrics.at("demographic_parity"), 0.2);
  const auto& g = table(report, "groups");
  EXPECT_EQ(g.columns, (std::vector<std::string>{"attribute", "group", "n_human", "n_pred", "w1"}));
  ASSERT_EQ(g.rows.size(), 2u);  // missing values are not a group
  const std::size_t f = find_row(g, "group", "F"), m = find_row(g, "group", "M");
  EXPECT_EQ(str(g, f, "attribute"), "gender");
  EXPECT_EQ(num(g, f, "n_human"), 4);
  EXPECT_EQ(num(g, f, "n_pred"), 4);
  EXPECT_DOUBLE_EQ(num(g, f, "w1"), 0.05);
  EXPECT_EQ(num(g, m, "n_human"), 2);
  EXPECT_DOUBLE_EQ(num(g, m, "w1"), 0.25);
}

TEST(DemographicParity, SmallGroupsAreDropped) {
  // Default min_group_size 5: both groups are too small, so there is no gap.
  const auto report = make()->evaluate(two_groups());
  EXPECT_FALSE(report.metrics.count("demographic_parity.gender"));
  EXPECT_TRUE(std::isnan(report.metrics.at("demographic_parity")));
  EXPECT_TRUE(table(report, "groups").rows.empty());
  const auto& a = table(report, "attributes");
  ASSERT_EQ(a.rows.size(), 1u);
  EXPECT_NE(str(a, 0, "note").find("2 group(s) with fewer than 5"), std::string::npos) << str(a, 0, "note");
  // min_group_size 3 keeps F (4 humans) only: one group is no gap either.
  const auto three = make({{"min_group_size", 3}})->evaluate(two_groups());
  EXPECT_EQ(table(three, "groups").rows.size(), 1u);
  EXPECT_FALSE(three.metrics.count("demographic_parity.gender"));
}

TEST(DemographicParity, ManyNumericValuesAreBinnedIntoQuantiles) {
  // Ages 18..33, one participant each: 16 values > max_groups 12. Four quantile bins of the
  // human ages: cuts at the 4th, 8th and 12th value (21, 25, 29).
  std::vector<PredictionRow> rows;
  for (int age = 18; age <= 33; ++age) rows.push_back(person("S", age % 3, 1, {{"age", std::to_string(age)}}));
  const auto report = make({{"min_group_size", 1}})->evaluate(rows);
  const auto& g = table(report, "groups");
  ASSERT_EQ(g.rows.size(), 4u);
  const std::vector<std::string> labels = {"18-21", "22-25", "26-29", "30-33"};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(str(g, i, "group"), labels[i]);
    EXPECT_EQ(num(g, i, "n_human"), 4);
  }
  EXPECT_TRUE(report.metrics.count("demographic_parity.age"));
  EXPECT_NE(str(table(report, "attributes"), 0, "note").find("binned into 4 quantile bins"), std::string::npos);
  // Humans {0,1,2,0} (18-21) vs preds all 1, range [0, 2]: W1 = |2/4 - 0| on [0,1) + |3/4 - 1| on [1,2) = 3/4, / 2.
  EXPECT_DOUBLE_EQ(num(g, 0, "w1"), 0.375);
}

TEST(DemographicParity, ManyTextValuesAreSkippedAndAttributesCanBeChosen) {
  std::vector<PredictionRow> rows;
  for (int i = 0; i < 13; ++i)
    rows.push_back(person("S", i % 2, 1, {{"state", "state-" + std::to_string(i)}, {"gender", i % 2 ? "F" : "M"}}));
  const auto report = make({{"min_group_size", 1}})->evaluate(rows);
  EXPECT_FALSE(report.metrics.count("demographic_parity.state"));
  EXPECT_TRUE(report.metrics.count("demographic_parity.gender"));
  const auto& a = table(report, "attributes");
  const std::size_t s = find_row(a, "attribute", "state");
  EXPECT_NE(str(a, s, "note").find("skipped"), std::string::npos) << str(a, s, "note");
  // Only the attributes asked for.
  const auto only = make({{"min_group_size", 1}, {"attributes", socrates::Array{"state"}}})->evaluate(rows);
  EXPECT_EQ(table(only, "attributes").rows.size(), 1u);
  EXPECT_FALSE(only.metrics.count("demographic_parity.gender"));
  // F: humans all 1, preds all 1 -> 0; M: humans all 0, preds 1 -> 1 / cell width 1. Gap 1.
  EXPECT_DOUBLE_EQ(report.metrics.at("demographic_parity.gender"), 1.0);
}

TEST(DemographicParity, RejectsBadOptions) {
  EXPECT_THROW(make({{"min_group_size", 0}}), socrates::ConfigError);
  EXPECT_THROW(make({{"max_groups", 1}}), socrates::ConfigError);
  EXPECT_THROW(make({{"numeric_bins", 1}}), socrates::ConfigError);
}
