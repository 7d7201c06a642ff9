// `socrates score`: predictions made anywhere, scored by the evaluator plugins. The golden
// test writes every row of the fixture wasserstein_refs.json as a predictions file and
// checks the per-cell raw W1 against scipy's.
#include <fstream>
#include <map>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "run_cli.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using socrates::test::run_socrates;
using socrates::test::shell_quote;

namespace {

class ScoreCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("socrates-score-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }
  fs::path dir_;
};

json load_refs() {
  std::ifstream in(SOCRATES_FIXTURES_DIR "/metrics/wasserstein_refs.json");
  EXPECT_TRUE(in.good()) << "missing fixture metrics/wasserstein_refs.json";
  return json::parse(in);
}

TEST_F(ScoreCli, PerCellMatchesScipyOnEveryFixtureRow) {
  const json refs = load_refs();
  ASSERT_GT(refs.at("rows").size(), 0u);
  // One cell per fixture row: humans carry only `response`, the model rows only `prediction`.
  std::string lines;
  std::map<std::string, json> expected;
  std::size_t i = 0;
  for (const json& row : refs.at("rows")) {
    const std::string study = "ref-" + std::to_string(i++);
    expected[study] = row;
    std::int64_t participant = 0;
    for (const json& h : row.at("human"))
      lines += json{{"study_id", study}, {"condition_num", 1}, {"task_num", 1}, {"participant", participant++},
                    {"response", h}, {"scale_min", row.at("scale")[0]}, {"scale_max", row.at("scale")[1]}}
                   .dump() + "\n";
    for (const json& p : row.at("pred"))
      lines += json{{"study_id", study}, {"condition_num", 1}, {"task_num", 1}, {"participant", participant++},
                    {"prediction", p}}
                   .dump() + "\n";
  }
  const fs::path preds = write("predictions.jsonl", lines);
  const fs::path cells = dir_ / "cells.jsonl";
  auto r = run_socrates("score --predictions " + shell_quote(preds.string()) +
                            " --evaluators wasserstein,accuracy --per-cell " + shell_quote(cells.string()),
                        dir_);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("wasserstein "));
  EXPECT_THAT(r.out, HasSubstr("accuracy "));

  std::ifstream in(cells);
  std::string line;
  std::size_t seen = 0;
  while (std::getline(in, line)) {
    const json c = json::parse(line);
    for (const char* key : {"study_id", "condition_num", "task_num", "n_human", "n_pred", "w1_raw", "w1"})
      EXPECT_TRUE(c.contains(key)) << key << " missing in " << line;
    const json& ref = expected.at(c.at("study_id").get<std::string>());
    EXPECT_NEAR(c.at("w1_raw").get<double>(), ref.at("w1_raw").get<double>(), 1e-9) << line;
    EXPECT_EQ(c.at("n_human").get<std::size_t>(), ref.at("human").size());
    EXPECT_EQ(c.at("n_pred").get<std::size_t>(), ref.at("pred").size());
    const double w1 = c.at("w1").get<double>();
    EXPECT_GE(w1, 0.0);
    EXPECT_LE(w1, 1.0);
    ++seen;
  }
  EXPECT_EQ(seen, expected.size());
}

TEST_F(ScoreCli, MalformedLineNamesFileAndLine) {
  const fs::path p = write("bad.jsonl",
                           "{\"study_id\":\"a\",\"condition_num\":1,\"task_num\":1,\"response\":3}\n{not json\n");
  auto r = run_socrates("score --predictions " + shell_quote(p.string()), dir_);
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr(p.string() + ":2"));
}

TEST_F(ScoreCli, RowWithoutStudyIsAnError) {
  const fs::path p = write("bad.jsonl", "{\"condition_num\":1,\"task_num\":1,\"response\":3}\n");
  auto r = run_socrates("score --predictions " + shell_quote(p.string()), dir_);
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("study_id"));
}

TEST_F(ScoreCli, PerCellNeedsWasserstein) {
  const fs::path p = write("p.jsonl",
                           "{\"study_id\":\"a\",\"condition_num\":1,\"task_num\":1,\"response\":3,\"prediction\":4}\n");
  auto r = run_socrates("score --predictions " + shell_quote(p.string()) + " --evaluators accuracy --per-cell " +
                            shell_quote((dir_ / "c.jsonl").string()),
                        dir_);
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("--per-cell needs the wasserstein evaluator"));
  EXPECT_FALSE(fs::exists(dir_ / "c.jsonl"));
}

TEST_F(ScoreCli, UnknownEvaluatorListsKnownOnes) {
  const fs::path p = write("p.jsonl",
                           "{\"study_id\":\"a\",\"condition_num\":1,\"task_num\":1,\"response\":3,\"prediction\":4}\n");
  auto r = run_socrates("score --predictions " + shell_quote(p.string()) + " --evaluators wasserstien", dir_);
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.err, HasSubstr("wasserstien"));
  EXPECT_THAT(r.err, HasSubstr("wasserstein"));
}

TEST_F(ScoreCli, EvaluatorOptionsViaSet) {
  // Humans used 2..4 of a stated 1..7 scale; the model answered 7. Clipped into the human
  // range the prediction is 4; with the stated range it stays 7.
  std::string lines;
  for (int h : {2, 3, 4})
    lines += json{{"study_id", "s"}, {"condition_num", 1}, {"task_num", 1}, {"response", h}, {"scale_min", 1},
                  {"scale_max", 7}}.dump() + "\n";
  lines += json{{"study_id", "s"}, {"condition_num", 1}, {"task_num", 1}, {"prediction", 7}}.dump() + "\n";
  const fs::path p = write("p.jsonl", lines);
  const fs::path human = dir_ / "human.jsonl", stated = dir_ / "stated.jsonl";
  ASSERT_EQ(run_socrates("score --predictions " + shell_quote(p.string()) + " --per-cell " + shell_quote(human.string()),
                         dir_).status, 0);
  auto r = run_socrates("score --predictions " + shell_quote(p.string()) + " --set 'evaluators[0].range=stated'" +
                            " --per-cell " + shell_quote(stated.string()), dir_);
  ASSERT_EQ(r.status, 0) << r.err;
  auto w1 = [](const fs::path& f) {
    std::ifstream in(f);
    std::string line;
    std::getline(in, line);
    return json::parse(line).at("w1").get<double>();
  };
  // human range [2,4]: humans {0, .5, 1}, prediction 4 -> 1: W1 = mean(1 - h) = 0.5
  EXPECT_NEAR(w1(human), 0.5, 1e-12);
  // stated [1,7]: humans {1/6, 2/6, 3/6}, prediction 7 -> 1: W1 = mean(1 - h) = 2/3
  EXPECT_NEAR(w1(stated), 2.0 / 3.0, 1e-12);
  auto bad = run_socrates("score --predictions " + shell_quote(p.string()) + " --set 'evaluators[0].rnage=stated'", dir_);
  EXPECT_NE(bad.status, 0);
  EXPECT_THAT(bad.err, HasSubstr("rnage"));
}

}  // namespace
