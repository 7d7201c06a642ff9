// The comparison table without files: which keys differ, seeds grouped into mean ± std,
// and the series of the W1-against-key plot.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "compare/compare_plots.hpp"
#include "compare/compare_table.hpp"
#include "compare/compare_write.hpp"

using namespace socrates;
using namespace socrates::compare;
using testing::HasSubstr;

namespace {

RunRecord run(const std::string& group, std::int64_t seed, std::int64_t r, double alpha, double frac, double w1) {
  RunRecord x;
  x.name = group + "-seed" + std::to_string(seed);
  x.group = group;
  x.seed = seed;
  x.config = {{"adapter.r", Value(r)},         {"adapter.alpha", Value(alpha)}, {"dataset.fraction", Value(frac)},
              {"run.seed", Value(seed)},       {"run.name", Value(x.name)},     {"training.lr", Value(0.01)}};
  x.swept = {"adapter.r", "adapter.alpha", "dataset.fraction"};
  x.status = "finished";
  x.w1 = w1;
  x.w1_uniform = 0.2;
  return x;
}

TEST(CompareTable, SeedsBecomeMeanAndSampleStd) {
  const std::vector<RunRecord> runs = {run("r16", 1, 16, 32, 0.1, 0.10), run("r16", 2, 16, 32, 0.1, 0.14),
                                       run("r32", 1, 32, 64, 0.1, 0.20), run("r32", 2, 32, 64, 0.1, 0.20)};
  const CompareTable t = build_table(runs);
  // dataset.fraction is swept but the same everywhere; run.seed and run.name never count.
  EXPECT_EQ(t.keys, (std::vector<std::string>{"adapter.r", "adapter.alpha"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_TRUE(t.with_seeds);
  EXPECT_EQ(t.rows[0].name, "r16");
  EXPECT_EQ(t.rows[0].values, (std::vector<std::string>{"16", "32.0"}));
  const Stat& s = t.rows[0].stats[kW1];
  EXPECT_EQ(s.n, 2);
  EXPECT_DOUBLE_EQ(*s.mean, 0.12);
  EXPECT_NEAR(*s.std, std::sqrt(0.0008), 1e-12);  // sample std of 0.10, 0.14
  EXPECT_EQ(format_stat(s, 3), "0.120 ± 0.028");
  EXPECT_FALSE(t.rows[0].stats[kBaseW1].mean.has_value());
  EXPECT_EQ(format_stat(t.rows[0].stats[kBaseW1], 3), "—");
  EXPECT_EQ(t.rows[1].status, "2 finished");

  const std::string md = table_markdown(t);
  EXPECT_THAT(md, HasSubstr("| r16 | 16 | 32.0 | 2 | 0.1200 ± 0.0283 |"));
  EXPECT_THAT(md, HasSubstr("uniform guess W1 0.2000"));
  EXPECT_THAT(table_csv(t), HasSubstr("\nr16,16,32.0,2,2 finished,0.1200000"));
}

TEST(CompareTable, PlainRunDirectoriesDifferByTheirConfigs) {
  std::vector<RunRecord> runs = {run("", 1, 16, 32, 0.1, 0.1), run("", 1, 16, 32, 0.5, 0.2)};
  for (RunRecord& r : runs) r.swept.clear(), r.group.clear();
  runs[1].config["training.lr"] = Value(0.02);
  const CompareTable t = build_table(runs);
  EXPECT_EQ(t.keys, (std::vector<std::string>{"dataset.fraction", "training.lr"}));
  EXPECT_EQ(t.rows.size(), 2u);
  EXPECT_FALSE(t.with_seeds);
}

TEST(CompareTable, AxisSeriesIgnoreZippedKeys) {
  // r and alpha zipped, crossed with two fractions: two lines over r, one per fraction.
  std::vector<RunRecord> runs;
  for (double frac : {0.1, 1.0})
    for (std::int64_t r : {8, 16, 32}) runs.push_back(run("v", 1, r, 2.0 * r, frac, 0.1 + frac + r / 100.0));
  for (std::size_t i = 0; i < runs.size(); ++i) runs[i].group = "v" + std::to_string(i);
  const CompareTable t = build_table(runs);
  ASSERT_EQ(numeric_axis(t, ""), std::optional<std::string>("adapter.r"));
  const auto series = axis_series(t, "adapter.r");
  ASSERT_EQ(series.size(), 2u);
  EXPECT_EQ(series[0].label, "dataset.fraction=0.1");
  ASSERT_EQ(series[0].points.size(), 3u);
  EXPECT_DOUBLE_EQ(series[0].points[2].x, 32);
  EXPECT_DOUBLE_EQ(*series[0].points[2].w1.mean, 0.1 + 0.1 + 0.32);
  EXPECT_THROW(numeric_axis(t, "training.lr"), Error);
}

}  // namespace
