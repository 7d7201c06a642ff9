// Bad input: every error is a socrates::Error that names the file and the problem.
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "socrates/error.hpp"
#include "tokenizer_test_util.hpp"

namespace fs = std::filesystem;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace socrates {
namespace {

std::string load_error(const fs::path& path) {
  try {
    BpeTokenizer::from_file(path);
  } catch (const Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("NOT a socrates::Error: ") + e.what();
  }
  return "no error";
}

class TokenizerErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::ifstream in(test::synthetic_tokenizer_path());
    good_ = nlohmann::json::parse(in);
  }
  void TearDown() override { fs::remove_all(dir_); }
  // Writes `j` as tokenizer.json in a fresh file and returns the error loading it gives.
  std::string error_for(const nlohmann::json& j) {
    const fs::path f = dir_ / "tokenizer.json";
    test::write_file(f, j.dump());
    return load_error(f);
  }
  fs::path dir_;
  nlohmann::json good_;
};

TEST_F(TokenizerErrors, MissingFile) {
  const fs::path missing = dir_ / "nope" / "tokenizer.json";
  EXPECT_THAT(load_error(missing), AllOf(HasSubstr(missing.string()), HasSubstr("does not exist")));
}

TEST_F(TokenizerErrors, DirectoryWithoutTokenizerJson) {
  EXPECT_THAT(load_error(dir_), AllOf(HasSubstr(dir_.string()), HasSubstr("no tokenizer.json")));
}

TEST_F(TokenizerErrors, MalformedJson) {
  test::write_file(dir_ / "tokenizer.json", "{\"model\": {\"vocab\": {\"a\": 0,,}}");
  EXPECT_THAT(load_error(dir_ / "tokenizer.json"),
              AllOf(HasSubstr((dir_ / "tokenizer.json").string()), HasSubstr("not valid JSON")));
  test::write_file(dir_ / "tokenizer.json", "");
  EXPECT_THAT(load_error(dir_), HasSubstr("not valid JSON"));
}

TEST_F(TokenizerErrors, MissingModelOrVocab) {
  EXPECT_THAT(error_for(nlohmann::json{{"version", "1.0"}}), HasSubstr("no \"model\""));
  auto j = good_;
  j["model"].erase("vocab");
  EXPECT_THAT(error_for(j), AllOf(HasSubstr((dir_ / "tokenizer.json").string()), HasSubstr("model.vocab")));
  j = good_;
  j["model"]["vocab"] = nlohmann::json::object();
  EXPECT_THAT(error_for(j), HasSubstr("empty"));
  j = good_;
  j["model"].erase("merges");
  EXPECT_THAT(error_for(j), HasSubstr("model.merges"));
}

TEST_F(TokenizerErrors, BadMerges) {
  auto j = good_;
  j["model"]["merges"][0] = "h unknown_token";
  EXPECT_THAT(error_for(j), AllOf(HasSubstr("merges[0]"), HasSubstr("unknown_token")));
  j["model"]["merges"][0] = "nospace";
  EXPECT_THAT(error_for(j), HasSubstr("merges[0]"));
  j["model"]["merges"][0] = 7;
  EXPECT_THAT(error_for(j), HasSubstr("merges[0]"));
}

TEST_F(TokenizerErrors, UnsupportedComponentsAreNamed) {
  auto j = good_;
  j["normalizer"] = {{"type", "Lowercase"}};
  EXPECT_THAT(error_for(j), AllOf(HasSubstr((dir_ / "tokenizer.json").string()), HasSubstr("normalizer"),
                                  HasSubstr("Lowercase")));
  j = good_;
  j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "_"}};
  EXPECT_THAT(error_for(j), AllOf(HasSubstr("pre_tokenizer"), HasSubstr("Metaspace")));
  j = good_;
  j["pre_tokenizer"] = {{"type", "Sequence"},
                        {"pretokenizers", {{{"type", "ByteLevel"}}, {{"type", "Digits"}}}}};
  EXPECT_THAT(error_for(j), AllOf(HasSubstr("pre_tokenizer"), HasSubstr("after ByteLevel")));
  j = good_;
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "(unclosed"}}}, {"behavior", "Isolated"}};
  EXPECT_THAT(error_for(j), AllOf(HasSubstr("pre_tokenizer"), HasSubstr("regex")));
  j = good_;
  j["model"]["type"] = "WordPiece";
  EXPECT_THAT(error_for(j), AllOf(HasSubstr("model"), HasSubstr("WordPiece")));
  j = good_;
  j["model"]["dropout"] = 0.1;
  EXPECT_THAT(error_for(j), HasSubstr("dropout"));
  j = good_;
  j["decoder"] = {{"type", "WordPiece"}};
  EXPECT_THAT(error_for(j), AllOf(HasSubstr("decoder"), HasSubstr("WordPiece")));
}

}  // namespace
}  // namespace socrates
