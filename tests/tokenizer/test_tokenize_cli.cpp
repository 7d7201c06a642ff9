// `socrates tokenize`: one {"ids": [...]} line per input; errors name the file and line.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "run_cli.hpp"

#include "tokenizer_test_util.hpp"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace socrates {
namespace {

using Result = test::CliResult;

std::string quote(const std::string& s) { return test::shell_quote(s); }

Result run_cli(const std::string& args, const fs::path& dir) { return test::run_socrates("tokenize " + args, dir); }

class TokenizeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  const std::string tokenizer_ = quote(test::synthetic_tokenizer_path().string());
};

TEST_F(TokenizeCli, EncodesText) {
  const Result r = run_cli("--tokenizer " + tokenizer_ + " --text 'hello world'", dir_);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "{\"ids\": [259, 264]}\n");
}

TEST_F(TokenizeCli, EncodesEachJsonlLine) {
  test::write_file(dir_ / "in.jsonl", "{\"text\": \"hello world\"}\n\n{\"text\": \"[SEP]hello[SEP]\"}\n{\"text\": \"\"}\n");
  const Result r = run_cli("--tokenizer " + tokenizer_ + " --jsonl " + quote((dir_ / "in.jsonl").string()), dir_);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "{\"ids\": [259, 264]}\n{\"ids\": [272, 259, 272]}\n{\"ids\": []}\n");
}

TEST_F(TokenizeCli, MatchesTheLibraryOnFixtureTexts) {
  for (const auto& fixture : test::tokenizer_fixture_dirs()) {
    const BpeTokenizer& tok = test::fixture_tokenizer(fixture);
    const nlohmann::json& rows = test::fixture_rows(fixture);
    std::string in, expected;
    for (std::size_t i = 0; i < rows.size(); i += 5) {
      in += nlohmann::json{{"text", rows[i].at("text")}}.dump() + "\n";
      expected += "{\"ids\": " + test::format_ids(tok.encode(rows[i].at("text").get<std::string>())) + "}\n";
    }
    test::write_file(dir_ / "rows.jsonl", in);
    const Result r = run_cli("--tokenizer " + quote(fixture.string()) + " --jsonl " + quote((dir_ / "rows.jsonl").string()), dir_);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.out, expected) << fixture;
  }
}

TEST_F(TokenizeCli, BadLineNamesFileAndLine) {
  const fs::path f = dir_ / "bad.jsonl";
  test::write_file(f, "{\"text\": \"ok\"}\n{\"txt\": \"wrong key\"}\n");
  Result r = run_cli("--tokenizer " + tokenizer_ + " --jsonl " + quote(f.string()), dir_);
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr(f.string() + ":2"));
  test::write_file(f, "{\"text\": \"ok\"}\n\n{not json\n");
  r = run_cli("--tokenizer " + tokenizer_ + " --jsonl " + quote(f.string()), dir_);
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr(f.string() + ":3"));
}

TEST_F(TokenizeCli, RejectsMissingInputsAndTokenizers) {
  Result r = run_cli("--tokenizer " + tokenizer_, dir_);
  EXPECT_NE(r.status, 0);
  EXPECT_THAT(r.err, HasSubstr("--text or --jsonl"));
  r = run_cli("--tokenizer " + quote((dir_ / "missing.json").string()) + " --text x", dir_);
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr((dir_ / "missing.json").string()));
  r = run_cli("--tokenizer " + tokenizer_ + " --jsonl " + quote((dir_ / "missing.jsonl").string()), dir_);
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr("missing.jsonl"));
}

}  // namespace
}  // namespace socrates
