// Golden tests: for every fixture folder under fixtures/tokenizers/ (discovered, never named),
// encode(text) must equal the Hugging Face ids and decode(ids) the HF text on every row.
#include <iostream>
#include <optional>

#include <gtest/gtest.h>

#include "tokenizer_test_util.hpp"

namespace fs = std::filesystem;

namespace socrates {
namespace {

using test::fixture_rows;
using test::fixture_tokenizer;
using test::format_ids;

TEST(TokenizerFixtures, AtLeastOneFixtureIsFound) {
  EXPECT_FALSE(test::tokenizer_fixture_dirs().empty())
      << "no folder with tokenizer.json and reference_encodings.json under " << SOCRATES_FIXTURES_DIR
      << "/tokenizers";
}

class TokenizerGolden : public ::testing::TestWithParam<fs::path> {};

TEST_P(TokenizerGolden, EncodeMatchesReferenceIdsOnEveryRow) {
  const BpeTokenizer& tok = fixture_tokenizer(GetParam());
  const nlohmann::json& rows = fixture_rows(GetParam());
  ASSERT_FALSE(rows.empty()) << GetParam() << ": reference_encodings.json has no rows";
  std::size_t passed = 0;
  std::optional<std::size_t> first_bad;
  std::vector<std::int32_t> bad_expected, bad_got;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto expected = rows[i].at("ids").get<std::vector<std::int32_t>>();
    const auto got = tok.encode(rows[i].at("text").get<std::string>());
    if (got == expected) {
      ++passed;
    } else if (!first_bad) {
      first_bad = i;
      bad_expected = expected;
      bad_got = got;
    }
  }
  std::cout << "[ golden   ] " << GetParam().filename().string() << ": encode matches on " << passed << "/"
            << rows.size() << " rows\n";
  if (first_bad) {
    ADD_FAILURE() << GetParam().filename().string() << ": " << rows.size() - passed << " of " << rows.size()
                  << " rows differ; first is row " << *first_bad << ", text "
                  << nlohmann::json(rows[*first_bad].at("text")).dump() << "\n  expected "
                  << format_ids(bad_expected) << "\n  got      " << format_ids(bad_got);
  }
}

TEST_P(TokenizerGolden, DecodeMatchesReferenceTextOnEveryRow) {
  const BpeTokenizer& tok = fixture_tokenizer(GetParam());
  const nlohmann::json& rows = fixture_rows(GetParam());
  std::size_t passed = 0;
  std::optional<std::size_t> first_bad;
  std::string bad_got;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto ids = rows[i].at("ids").get<std::vector<std::int32_t>>();
    const std::string got = tok.decode(ids, /*skip_special=*/false);
    if (got == rows[i].at("decoded").get<std::string>()) {
      ++passed;
    } else if (!first_bad) {
      first_bad = i;
      bad_got = got;
    }
  }
  std::cout << "[ golden   ] " << GetParam().filename().string() << ": decode matches on " << passed << "/"
            << rows.size() << " rows\n";
  if (first_bad) {
    ADD_FAILURE() << GetParam().filename().string() << ": " << rows.size() - passed << " rows decode differently; first is row "
                  << *first_bad << ", ids " << format_ids(rows[*first_bad].at("ids").get<std::vector<std::int32_t>>())
                  << "\n  expected " << rows[*first_bad].at("decoded").dump() << "\n  got      "
                  << nlohmann::json(bad_got).dump();
  }
}

TEST_P(TokenizerGolden, LoadsFromTheModelDirectoryToo) {
  const auto from_dir = BpeTokenizer::from_file(GetParam());
  const BpeTokenizer& from_file = fixture_tokenizer(GetParam());
  EXPECT_EQ(from_dir->fingerprint(), from_file.fingerprint());
  EXPECT_EQ(from_dir->vocab_size(), from_file.vocab_size());
  const nlohmann::json& rows = fixture_rows(GetParam());
  for (std::size_t i = 0; i < rows.size(); i += 7) {
    const std::string text = rows[i].at("text").get<std::string>();
    EXPECT_EQ(from_dir->encode(text), from_file.encode(text)) << "row " << i;
  }
}

std::string fixture_name(const ::testing::TestParamInfo<fs::path>& info) {
  std::string name;
  for (const char c : info.param.filename().string()) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name.empty() ? "fixture" + std::to_string(info.index) : name;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, TokenizerGolden, ::testing::ValuesIn(test::tokenizer_fixture_dirs()), fixture_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(TokenizerGolden);

}  // namespace
}  // namespace socrates
