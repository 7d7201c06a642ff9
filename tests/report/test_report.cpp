// report.json, report.md and the console summary from hand-made runs.
#include <algorithm>
#include <fstream>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "eval/plot.hpp"
#include "eval/report.hpp"
#include "report_fixtures.hpp"
#include "socrates/error.hpp"

namespace socrates {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using test::read_text;

json read_json(const fs::path& file) { return json::parse(read_text(file)); }

TEST(Report, JsonKeepsEveryMetricAndTableOfBothRuns) {
  test::ScratchDir dir;
  const EvalRun tuned = test::tuned_run(), base = test::base_run();
  write_report(dir.path() / "report", tuned, &base);
  const json j = read_json(dir.path() / "report" / "report.json");

  const json& m = j.at("model");
  EXPECT_EQ(m.at("label"), "tuned");
  EXPECT_EQ(m.at("mode"), "sample");
  EXPECT_EQ(m.at("rows"), tuned.rows.size());
  EXPECT_EQ(m.at("predictions_per_second").get<double>(), 97.5);
  EXPECT_EQ(m.at("seconds").get<double>(), 12.34);
  ASSERT_EQ(m.at("evaluators").size(), 2u);
  // Every metric of every report, bit for bit.
  for (std::size_t e = 0; e < tuned.reports.size(); ++e) {
    const auto& [name, report] = tuned.reports[e];
    const json& ej = m.at("evaluators")[e];
    EXPECT_EQ(ej.at("name"), name);
    ASSERT_EQ(ej.at("metrics").size(), report.metrics.size());
    for (const auto& [k, v] : report.metrics) {
      EXPECT_EQ(ej.at("metrics").at(k).get<double>(), v) << k;
      EXPECT_EQ(m.at("metrics").at(k).get<double>(), v) << k;
    }
    ASSERT_EQ(ej.at("tables").size(), report.tables.size());
  }
  // The cells table: strings, integers, floats and empty values.
  const json& cells = m.at("evaluators")[0].at("tables")[0];
  EXPECT_EQ(cells.at("name"), "cells");
  EXPECT_EQ(cells.at("columns")[9], "w1");
  ASSERT_EQ(cells.at("rows").size(), 5u);
  EXPECT_EQ(cells.at("rows")[2][0], "s2");
  EXPECT_EQ(cells.at("rows")[2][1].get<std::int64_t>(), 2);
  EXPECT_EQ(cells.at("rows")[2][9].get<double>(), 0.4);
  EXPECT_TRUE(cells.at("rows")[3][11].is_null());

  const json& b = j.at("base");
  EXPECT_EQ(b.at("label"), "base");
  EXPECT_TRUE(b.at("predictions_per_second").is_null());  // 0 = unknown
  EXPECT_EQ(b.at("metrics").at("demographic_parity.gender").get<double>(), 0.08);
  const json& groups = b.at("evaluators")[1].at("tables")[0];
  EXPECT_EQ(groups.at("rows")[1][1], "male");
  EXPECT_EQ(groups.at("rows")[1][4].get<double>(), 0.18);
}

TEST(Report, JsonHasTheComparison) {
  test::ScratchDir dir;
  const EvalRun tuned = test::tuned_run(), base = test::base_run();
  write_report(dir.path(), tuned, &base);
  const json j = read_json(dir.path() / "report.json");

  const json& overall = j.at("overall");
  ASSERT_EQ(overall.size(), 4u);
  EXPECT_EQ(overall[0].at("name"), "tuned");
  EXPECT_EQ(overall[0].at("w1").get<double>(), 0.152);
  EXPECT_EQ(overall[0].at("accuracy").get<double>(), 0.412);
  EXPECT_TRUE(overall[0].at("demographic_parity").is_null());
  EXPECT_EQ(overall[1].at("name"), "base");
  EXPECT_TRUE(overall[1].at("accuracy").is_null());
  EXPECT_EQ(overall[1].at("demographic_parity").get<double>(), 0.08);
  EXPECT_EQ(overall[2].at("name"), "uniform guess");
  EXPECT_EQ(overall[2].at("w1").get<double>(), 0.203);
  EXPECT_EQ(overall[3].at("name"), "human bootstrap bound");
  EXPECT_EQ(overall[3].at("w1").get<double>(), 0.125);

  const json& c = j.at("comparison");
  EXPECT_DOUBLE_EQ(c.at("w1_change").get<double>(), 0.152 - 0.231);
  EXPECT_DOUBLE_EQ(c.at("w1_relative_change").get<double>(), (0.152 - 0.231) / 0.231);
  EXPECT_DOUBLE_EQ(c.at("gap_closed").get<double>(), (0.231 - 0.152) / (0.231 - 0.125));
  EXPECT_EQ(c.at("beats_uniform"), true);

  const json& studies = j.at("per_study");
  ASSERT_EQ(studies.size(), 3u);  // s1, s2 from the tuned run, then s3 from the base
  EXPECT_EQ(studies[2].at("study_id"), "s3");
  EXPECT_TRUE(studies[2].at("w1").is_null());
  EXPECT_EQ(studies[2].at("w1_base").get<double>(), 0.5);
  EXPECT_EQ(studies[0].at("w1").get<double>(), 0.075);
  EXPECT_EQ(studies[0].at("w1_base").get<double>(), 0.2);
}

TEST(Report, MarkdownTablesShowTheNumbersAndDashes) {
  test::ScratchDir dir;
  const EvalRun tuned = test::tuned_run(), base = test::base_run();
  write_report(dir.path(), tuned, &base);
  const std::string md = read_text(dir.path() / "report.md");

  EXPECT_NE(md.find("# Evaluation report: tuned vs base"), std::string::npos) << md;
  EXPECT_NE(md.find("| tuned | sample | 10 | 97.5 | 12.3 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| | W1 (lower is better) | accuracy | demographic-parity gap | parse-failure rate | cells |"),
            std::string::npos);
  EXPECT_NE(md.find("| tuned | 0.152 | 0.412 | — | 2.5% | 3 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| base | 0.231 | — | 0.080 | 10.0% | 3 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| uniform guess | 0.203 | — | — | — | — |"), std::string::npos) << md;
  EXPECT_NE(md.find("| human bootstrap bound | 0.125 | — | — | — | — |"), std::string::npos) << md;

  EXPECT_NE(md.find("| study | cells | W1 tuned | W1 base | uniform | bootstrap |"), std::string::npos) << md;
  EXPECT_NE(md.find("| s1 | 2 | 0.075 | 0.200 | 0.300 | 0.090 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| s2 | 1 | 0.400 | 0.350 | 0.250 | 0.200 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| s3 | 1 | — | 0.500 | 0.300 | 0.100 |"), std::string::npos) << md;
}

TEST(Report, WithoutBaseThereIsNoBaseRowOrColumn) {
  test::ScratchDir dir;
  write_report(dir.path(), test::tuned_run(), nullptr);
  const std::string md = read_text(dir.path() / "report.md");
  EXPECT_NE(md.find("# Evaluation report: tuned\n"), std::string::npos) << md;
  EXPECT_EQ(md.find("| base |"), std::string::npos) << md;
  EXPECT_NE(md.find("| study | cells | W1 tuned | uniform | bootstrap |"), std::string::npos) << md;
  EXPECT_NE(md.find("| s2 | 1 | 0.400 | 0.250 | 0.200 |"), std::string::npos) << md;
  const json j = read_json(dir.path() / "report.json");
  EXPECT_TRUE(j.at("base").is_null());
  EXPECT_EQ(j.at("overall").size(), 3u);
  EXPECT_TRUE(j.at("comparison").at("w1_change").is_null());
}

TEST(Report, NoEvaluatorsAtAllStillWritesEverything) {
  test::ScratchDir dir;
  EvalRun bare;
  bare.label = "predictions";
  bare.mode = "external";
  write_report(dir.path(), bare, nullptr);
  const std::string md = read_text(dir.path() / "report.md");
  EXPECT_NE(md.find("| predictions | — | — | — | — | — |"), std::string::npos) << md;
  EXPECT_NE(md.find("| uniform guess | — | — | — | — | — |"), std::string::npos) << md;
  EXPECT_NE(md.find("the `wasserstein` evaluator was not run"), std::string::npos) << md;
  const json j = read_json(dir.path() / "report.json");
  EXPECT_TRUE(j.at("overall")[0].at("w1").is_null());
  EXPECT_TRUE(j.at("plots").empty());
  EXPECT_FALSE(fs::exists(dir.path() / "plots" / "per_study_w1.png"));
  EXPECT_EQ(format_summary(bare, nullptr), "W1 (lower is better): predictions —\n");
}

TEST(Report, WritesOnlyTheReportFiles) {
  test::ScratchDir dir;
  const EvalRun tuned = test::tuned_run(), base = test::base_run();
  write_report(dir.path(), tuned, &base);
  write_report(dir.path(), tuned, &base);  // rewriting replaces them, leaving no temporaries
  std::vector<std::string> names;
  for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
    names.push_back(fs::relative(e.path(), dir.path()).generic_string());
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> want = {"report.json", "report.md"};
  if (plots_available()) {
    want = {"plots",
            "plots/cell_best.png",
            "plots/cell_best.svg",
            "plots/cell_worst.png",
            "plots/cell_worst.svg",
            "plots/per_study_w1.png",
            "plots/per_study_w1.svg",
            "report.json",
            "report.md"};
  }
  EXPECT_EQ(names, want);
}

TEST(Report, UnwritableFolderNamesIt) {
  test::ScratchDir dir;
  const fs::path blocker = dir.path() / "file";
  { std::ofstream(blocker) << "x"; }
  try {
    write_report(blocker / "report", test::tuned_run(), nullptr);
    FAIL() << "expected socrates::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((blocker / "report").string()), std::string::npos) << e.what();
  }
}

TEST(Summary, ComparesBaseAndModel) {
  const EvalRun tuned = test::tuned_run(), base = test::base_run();
  EXPECT_EQ(format_summary(tuned, &base),
            "W1 (lower is better): base 0.231 -> tuned 0.152 (uniform 0.203, bootstrap 0.125)\n"
            "accuracy: base — -> tuned 0.412\n"
            "demographic-parity gap: base 0.080 -> tuned —\n"
            "parse failures: base 10.0% -> tuned 2.5%\n"
            "3 cells · tuned: 97.5 predictions/s\n");
}

TEST(Summary, ModelAlone) {
  EXPECT_EQ(format_summary(test::tuned_run(), nullptr),
            "W1 (lower is better): tuned 0.152 (uniform 0.203, bootstrap 0.125)\n"
            "accuracy: tuned 0.412\n"
            "parse failures: tuned 2.5%\n"
            "3 cells · tuned: 97.5 predictions/s\n");
}

}  // namespace
}  // namespace socrates
