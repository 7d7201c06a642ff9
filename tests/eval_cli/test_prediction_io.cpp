// Reading and writing predictions files (the `socrates score` input format).
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "eval/prediction_io.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace socrates {
namespace {

fs::path write_file(const std::string& name, const std::string& text) {
  const fs::path p = fs::temp_directory_path() / ("socrates-predio-" + name);
  std::ofstream(p) << text;
  return p;
}

TEST(PredictionIo, ReadsEveryFieldForm) {
  const fs::path p = write_file("forms.jsonl",
      R"({"study_id":"S1","condition_num":2,"task_num":3,"participant":7,"response":4,"prediction":5,"scale_min":1,"scale_max":7,"demographic":"Age: 25; Gender: Female"})" "\n"
      "\n"
      R"({"study_id":"S1","condition_num":2,"task_num":3,"prediction":"I would say 6."})" "\n"
      R"({"study_id":"S1","condition_num":2,"task_num":3,"prediction":"no idea"})" "\n"
      R"({"study_id":"S1","condition_num":2,"task_num":3,"prediction":null})" "\n"
      R"({"study_id":"S1","condition_num":2,"task_num":3,"distribution":{"1":1,"2":3},"demographic":{"age":"30","party":null}})" "\n"
      R"({"study_id":"S1","condition_num":2,"task_num":3,"distribution":[[1,0.5],[3,0.5]]})" "\n");
  const auto rows = read_predictions(p);
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0].study_id, "S1");
  EXPECT_EQ(rows[0].condition_num, 2);
  EXPECT_EQ(rows[0].task_num, 3);
  EXPECT_EQ(rows[0].participant, 7);
  EXPECT_EQ(rows[0].response, 4.0);
  EXPECT_EQ(rows[0].prediction, 5.0);
  EXPECT_EQ(rows[0].scale_min, 1.0);
  EXPECT_EQ(rows[0].scale_max, 7.0);
  ASSERT_EQ(rows[0].demographic.size(), 2u);
  EXPECT_EQ(rows[0].demographic[1].first, "Gender");
  EXPECT_EQ(rows[0].demographic[1].second, "Female");
  EXPECT_EQ(rows[1].prediction, 6.0);
  EXPECT_FALSE(rows[1].parse_failed);
  EXPECT_FALSE(rows[1].response);
  EXPECT_TRUE(rows[2].parse_failed);
  EXPECT_FALSE(rows[2].prediction);
  EXPECT_TRUE(rows[3].parse_failed);
  ASSERT_EQ(rows[4].distribution.size(), 2u);
  EXPECT_DOUBLE_EQ(rows[4].distribution[0].second, 0.25);  // normalised
  EXPECT_DOUBLE_EQ(rows[4].distribution[1].second, 0.75);
  EXPECT_FALSE(rows[4].demographic[1].second.has_value());
  EXPECT_DOUBLE_EQ(rows[5].distribution[1].first, 3.0);
  fs::remove(p);
}

TEST(PredictionIo, WriteThenReadRoundTrips) {
  PredictionRow a;
  a.study_id = "S";
  a.condition_num = 1;
  a.task_num = 2;
  a.participant = 3;
  a.response = 4;
  a.prediction = 0.1 + 0.2;  // not exactly representable: must survive the round trip
  a.demographic = {{"age", "30"}, {"party", std::nullopt}};
  PredictionRow b = a;
  b.prediction.reset();
  b.parse_failed = true;
  PredictionRow c = a;
  c.prediction.reset();
  c.distribution = {{1, 0.3}, {2, 0.7}};
  const fs::path p = fs::temp_directory_path() / "socrates-predio-roundtrip.jsonl";
  write_predictions(p, {a, b, c}, {"0.3", "", ""});
  const auto rows = read_predictions(p);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].prediction, a.prediction);
  EXPECT_EQ(rows[0].demographic, a.demographic);
  EXPECT_TRUE(rows[1].parse_failed);
  EXPECT_EQ(rows[2].distribution, c.distribution);
  std::ifstream in(p);
  std::string first;
  std::getline(in, first);
  EXPECT_THAT(first, HasSubstr("\"text\":\"0.3\""));
  fs::remove(p);
}

TEST(PredictionIo, ErrorsNameFileAndLine) {
  const fs::path p = write_file("errors.jsonl", R"({"study_id":"S","condition_num":1,"task_num":1,"response":"x"})" "\n");
  try {
    read_predictions(p);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr(p.string() + ":1"));
    EXPECT_THAT(e.what(), HasSubstr("'response' must be a number"));
  }
  const fs::path q = write_file("neither.jsonl", R"({"study_id":"S","condition_num":1,"task_num":1})" "\n");
  EXPECT_THROW(read_predictions(q), Error);
  EXPECT_THROW(read_predictions(fs::temp_directory_path() / "socrates-predio-missing.jsonl"), Error);
  fs::remove(p);
  fs::remove(q);
}

}  // namespace
}  // namespace socrates
