// Properties that must hold on every discovered fixture tokenizer: UTF-8 round trips, invalid
// input, special tokens in text, token ids, thread safety, fingerprints.
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tokenizer/byte_level.hpp"
#include "tokenizer/utf8.hpp"
#include "tokenizer_test_util.hpp"

namespace fs = std::filesystem;
using ::testing::ElementsAre;

namespace socrates {
namespace {

using Ids = std::vector<std::int32_t>;

// ---- Properties on every fixture tokenizer ----------------------------------------------------

class EveryFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    dirs_ = test::tokenizer_fixture_dirs();
    if (dirs_.empty()) GTEST_SKIP() << "no tokenizer fixtures";
  }
  std::vector<fs::path> dirs_;
};

std::string random_text(std::mt19937& rng) {
  // Code points that every normalization form leaves alone, so decode(encode(s)) == s.
  static const std::vector<std::pair<char32_t, char32_t>> ranges = {
      {0x20, 0x7E},      {0x09, 0x0A},      {0x4E00, 0x9FFF},  {0x1F300, 0x1F5FF}, {0x1F600, 0x1F64F},
      {0x0430, 0x0438},  {0x05D0, 0x05EA},  {0x0627, 0x063A},  {0x03B1, 0x03C9},   {0x200D, 0x200D},
      {0x3041, 0x304A}};
  std::string s;
  const int n = static_cast<int>(rng() % 40);
  for (int i = 0; i < n; ++i) {
    const auto& [lo, hi] = ranges[rng() % ranges.size()];
    const int run = 1 + static_cast<int>(rng() % 6);
    for (int k = 0; k < run; ++k) tok::utf8::append(lo + static_cast<char32_t>(rng() % (hi - lo + 1)), s);
  }
  return s;
}

TEST_F(EveryFixture, RoundTripsUtf8Text) {
  const std::vector<std::string> samples = {
      "plain ASCII, with numbers 12345 and punctuation!?",
      "emoji 🙂🙃👍 and a family 👨\u200d👩\u200d👧\u200d👦 joined by ZWJ",
      "中文字符 日本語のテキスト 한국어 텍스트",
      "مرحبا بالعالم — שלום עולם",
      "  leading, trailing and   inner   spaces  \n\n\ttabs\r\n",
      std::string(300, 'x') + std::string(200, ' ') + std::string(100, '!'),
  };
  std::mt19937 rng(42);
  for (const auto& dir : dirs_) {
    const BpeTokenizer& tok = test::fixture_tokenizer(dir);
    for (const auto& s : samples) EXPECT_EQ(tok.decode(tok.encode(s)), s) << dir.filename();
    for (int i = 0; i < 300; ++i) {
      const std::string s = random_text(rng);
      EXPECT_EQ(tok.decode(tok.encode(s)), s) << dir.filename() << ": " << nlohmann::json(s).dump();
    }
  }
}

TEST_F(EveryFixture, InvalidUtf8IsReplacedLikePython) {
  const std::string fffd = "\xEF\xBF\xBD";
  for (const auto& dir : dirs_) {
    const BpeTokenizer& tok = test::fixture_tokenizer(dir);
    // Each maximal invalid subpart becomes one U+FFFD (bytes.decode("utf-8", "replace")).
    EXPECT_EQ(tok.encode("a\xFF" "b"), tok.encode("a" + fffd + "b"));
    EXPECT_EQ(tok.encode("\xE4\xB8"), tok.encode(fffd));                      // truncated 中
    EXPECT_EQ(tok.encode("\xED\xA0\x80"), tok.encode(fffd + fffd + fffd));    // a surrogate
    EXPECT_EQ(tok.encode("\xC0\xAF x"), tok.encode(fffd + fffd + " x"));      // overlong
    EXPECT_EQ(tok.encode("\xF0\x9F\x99 ok"), tok.encode(fffd + " ok"));       // truncated emoji
    // Random ASCII with bytes that can never start valid UTF-8 survive as U+FFFD.
    std::mt19937 rng(3);
    for (int i = 0; i < 100; ++i) {
      std::string s, expected;
      for (int k = 0, n = static_cast<int>(rng() % 30); k < n; ++k) {
        if (rng() % 4 == 0) {
          s += static_cast<char>(0x80 + rng() % 0x40);  // a lone continuation byte
          expected += fffd;
        } else {
          const char c = static_cast<char>(0x20 + rng() % 0x5F);
          s += c;
          expected += c;
        }
      }
      EXPECT_EQ(tok.decode(tok.encode(s)), expected) << dir.filename();
    }
  }
}

TEST_F(EveryFixture, DecodesPartialByteSequencesAsReplacementCharacters) {
  const auto& alpha = tok::ByteLevelAlphabet::get();
  for (const auto& dir : dirs_) {
    const BpeTokenizer& tok = test::fixture_tokenizer(dir);
    const auto e4 = tok.token_id(alpha.encode_byte(0xE4));
    const auto b8 = tok.token_id(alpha.encode_byte(0xB8));
    const auto ad = tok.token_id(alpha.encode_byte(0xAD));
    ASSERT_TRUE(e4 && b8 && ad) << dir.filename() << ": not a byte-level vocabulary";
    EXPECT_EQ(tok.decode({*e4, *b8, *ad}), "中");
    EXPECT_EQ(tok.decode({*e4, *b8}), "\xEF\xBF\xBD");
    EXPECT_EQ(tok.decode({*b8, *ad}), "\xEF\xBF\xBD\xEF\xBF\xBD");
  }
}

TEST_F(EveryFixture, SpecialTokensInTextAreSingleTokens) {
  for (const auto& dir : dirs_) {
    const BpeTokenizer& tok = test::fixture_tokenizer(dir);
    for (const std::int32_t id : tok.special_ids()) {
      const auto content = tok.id_to_token(id);
      ASSERT_TRUE(content) << "special id " << id;
      EXPECT_EQ(tok.token_id(*content), id);
      const std::string text = "before" + std::string(*content) + "after";
      const Ids ids = tok.encode(text);
      EXPECT_EQ(std::count(ids.begin(), ids.end(), id), 1) << text << " -> " << test::format_ids(ids);
      EXPECT_EQ(tok.decode(ids), text);
      const std::string skipped = tok.decode(ids, /*skip_special=*/true);
      EXPECT_EQ(skipped.find(std::string(*content)), std::string::npos) << skipped;
    }
  }
}

TEST_F(EveryFixture, TokenIdAndIdToTokenAgree) {
  for (const auto& dir : dirs_) {
    const BpeTokenizer& tok = test::fixture_tokenizer(dir);
    ASSERT_GT(tok.vocab_size(), 256u);
    std::size_t checked = 0;
    for (std::size_t id = 0; id < tok.vocab_size(); id += 97) {
      const auto text = tok.id_to_token(static_cast<std::int32_t>(id));
      if (!text) continue;
      EXPECT_EQ(tok.token_id(*text), static_cast<std::int32_t>(id)) << "token " << *text;
      ++checked;
    }
    EXPECT_GT(checked, tok.vocab_size() / 200);
    EXPECT_EQ(tok.token_id("\x01no such token\x02 ☃☃☃ 987654321"), std::nullopt);
    EXPECT_EQ(tok.id_to_token(static_cast<std::int32_t>(tok.vocab_size())), std::nullopt);
    for (const std::int32_t id : tok.special_ids()) EXPECT_LT(static_cast<std::size_t>(id), tok.vocab_size());
  }
}

TEST_F(EveryFixture, ConcurrentEncodesAgreeWithSingleThreaded) {
  for (const auto& dir : dirs_) {
    const BpeTokenizer& tok = test::fixture_tokenizer(dir);
    const nlohmann::json& rows = test::fixture_rows(dir);
    std::vector<std::string> texts;
    std::vector<Ids> expected;
    for (const auto& r : rows) {
      texts.push_back(r.at("text").get<std::string>());
      expected.push_back(tok.encode(texts.back()));
    }
    std::vector<int> failures(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int rep = 0; rep < 3; ++rep)
          for (std::size_t i = 0; i < texts.size(); ++i)
            if (tok.encode(texts[(i + t * 13) % texts.size()]) != expected[(i + t * 13) % texts.size()]) ++failures[t];
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_THAT(failures, ElementsAre(0, 0, 0, 0)) << dir.filename();
  }
}

TEST_F(EveryFixture, FingerprintIsTheFileSha256) {
  for (const auto& dir : dirs_) {
    const BpeTokenizer& tok = test::fixture_tokenizer(dir);
    const std::string fp = tok.fingerprint();
    ASSERT_EQ(fp.rfind("sha256:", 0), 0u) << fp;
    EXPECT_EQ(fp.size(), 7u + 64u);
    EXPECT_EQ(BpeTokenizer::from_file(dir / "tokenizer.json")->fingerprint(), fp);
  }
}

}  // namespace
}  // namespace socrates
