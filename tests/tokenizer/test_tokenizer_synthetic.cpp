// Unit tests on a small synthetic tokenizer (tests/tokenizer/data; expected ids checked against
// HF tokenizers 0.23.2): added-token rules, the merge loop, fingerprints, UTF-8 helpers.
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

// ---- Synthetic tokenizer: added-token rules and the merge loop ------------------------------

TEST(SyntheticTokenizer, EncodesLikeHuggingFace) {
  const BpeTokenizer& tok = test::synthetic_tokenizer();
  // Expected ids from tokenizers 0.23.2: Tokenizer.from_file(...).encode(text, add_special_tokens=False).
  EXPECT_EQ(tok.encode("hello world"), (Ids{259, 264}));
  EXPECT_EQ(tok.encode("é"), (Ids{195, 169}));
  EXPECT_EQ(tok.encode("aaaaaaaaab"), (Ids{267, 268}));
  EXPECT_EQ(tok.encode("abababab"), (Ids{269, 269}));
  EXPECT_EQ(tok.encode(std::string(40, 'a') + "bbb"), (Ids{267, 267, 267, 267, 267, 98, 98, 98}));
  EXPECT_TRUE(tok.encode("").empty());
}

TEST(SyntheticTokenizer, AddedTokensStripWhiteSpaceAndRespectSingleWord) {
  const BpeTokenizer& tok = test::synthetic_tokenizer();
  // "<mask>" has lstrip and rstrip: it swallows the white space around it, Unicode spaces too.
  EXPECT_EQ(tok.encode("hello <mask> world"), (Ids{259, 271, 119, 261, 108, 100}));
  EXPECT_EQ(tok.encode("hello\t<mask>\u2000world"), (Ids{259, 271, 119, 261, 108, 100}));
  EXPECT_EQ(tok.encode("<mask><mask>  <mask>"), (Ids{271, 271, 271}));
  // "yes" is single_word (and normalized): not inside "yesterday".
  EXPECT_EQ(tok.encode("yes yesterday yes"), (Ids{273, 32, 121, 101, 115, 116, 101, 114, 100, 97, 121, 32, 273}));
  EXPECT_EQ(tok.encode("x yes, y"), (Ids{120, 32, 273, 44, 32, 121}));
  // "[SEP]" is special.
  EXPECT_EQ(tok.encode("[SEP]hello[SEP]"), (Ids{272, 259, 272}));
}

TEST(SyntheticTokenizer, DecodeKeepsOrSkipsSpecialTokens) {
  const BpeTokenizer& tok = test::synthetic_tokenizer();
  EXPECT_EQ(tok.decode({272, 259, 272}), "[SEP]hello[SEP]");
  EXPECT_EQ(tok.decode({272, 259, 272}, /*skip_special=*/true), "hello");
  EXPECT_EQ(tok.decode({259, 271, 119, 261, 108, 100}, true), "hello<mask>world");  // <mask> is not special
  EXPECT_EQ(tok.decode({}), "");
  EXPECT_EQ(tok.decode({-5, 100000, 259}), "hello");  // unknown ids are skipped
}

TEST(SyntheticTokenizer, VocabularyAccessors) {
  const BpeTokenizer& tok = test::synthetic_tokenizer();
  // Added tokens get the ids HF assigns: after the model vocabulary, in file order.
  EXPECT_EQ(tok.vocab_size(), 274u);
  EXPECT_THAT(tok.special_ids(), ElementsAre(272));
  EXPECT_EQ(tok.token_id("[SEP]"), 272);
  EXPECT_EQ(tok.token_id("<mask>"), 271);
  EXPECT_EQ(tok.token_id("hello"), 259);
  EXPECT_EQ(tok.token_id("Ġworld"), 264);
  EXPECT_EQ(tok.token_id("no such token"), std::nullopt);
  EXPECT_EQ(tok.id_to_token(264), "Ġworld");
  EXPECT_EQ(tok.id_to_token(272), "[SEP]");
  EXPECT_EQ(tok.id_to_token(274), std::nullopt);
  EXPECT_EQ(tok.id_to_token(-1), std::nullopt);
}

// A plain BPE on strings (lowest rank first, leftmost on ties), to check the merge loop on
// words of every length, including ones past the small-word and cache limits.
class ReferenceBpe {
 public:
  explicit ReferenceBpe(const fs::path& file) {
    std::ifstream in(file);
    const auto j = nlohmann::json::parse(in);
    for (const auto& [tok, id] : j.at("model").at("vocab").items()) vocab_[tok] = id.get<std::int32_t>();
    const auto& merges = j.at("model").at("merges");
    for (std::size_t r = 0; r < merges.size(); ++r) {
      const std::string m = merges[r].get<std::string>();
      const auto sp = m.find(' ');
      ranks_[{m.substr(0, sp), m.substr(sp + 1)}] = static_cast<int>(r);
    }
  }
  Ids encode_word(const std::string& bytes) const {
    std::vector<std::string> syms;
    for (const char c : bytes)
      syms.emplace_back(tok::ByteLevelAlphabet::get().encode_byte(static_cast<std::uint8_t>(c)));
    for (;;) {
      int best = -1, best_rank = 1 << 30;
      for (std::size_t i = 0; i + 1 < syms.size(); ++i) {
        const auto it = ranks_.find({syms[i], syms[i + 1]});
        if (it != ranks_.end() && it->second < best_rank) {
          best_rank = it->second;
          best = static_cast<int>(i);
        }
      }
      if (best < 0) break;
      syms[best] += syms[best + 1];
      syms.erase(syms.begin() + best + 1);
    }
    Ids ids;
    for (const auto& s : syms) ids.push_back(vocab_.at(s));
    return ids;
  }

 private:
  std::map<std::string, std::int32_t> vocab_;
  std::map<std::pair<std::string, std::string>, int> ranks_;
};

TEST(SyntheticTokenizer, MergeLoopMatchesReferenceOnShortAndLongWords) {
  const BpeTokenizer& tok = test::synthetic_tokenizer();
  const ReferenceBpe ref(test::synthetic_tokenizer_path());
  std::mt19937 rng(7);
  for (const std::size_t len : {2u, 3u, 5u, 8u, 17u, 60u, 95u, 96u, 97u, 150u, 255u, 256u, 257u, 700u, 1200u}) {
    for (int rep = 0; rep < (len > 300 ? 2 : 6); ++rep) {
      std::string word;
      for (std::size_t i = 0; i < len; ++i) word += "aab"[rng() % 3];
      EXPECT_EQ(tok.encode(word), ref.encode_word(word)) << "word of " << len << " bytes: " << word;
      EXPECT_EQ(tok.encode(word), ref.encode_word(word)) << "second (cached) encode of " << word;
    }
  }
}

TEST(Fingerprint, ChangesWithTheFileContent) {
  const fs::path tmp = test::make_temp_dir("fingerprint");
  std::ifstream in(test::synthetic_tokenizer_path());
  auto j = nlohmann::json::parse(in);
  test::write_file(tmp / "a.json", j.dump());
  j["added_tokens"][0]["lstrip"] = false;
  test::write_file(tmp / "b.json", j.dump());
  const auto a = BpeTokenizer::from_file(tmp / "a.json");
  const auto b = BpeTokenizer::from_file(tmp / "b.json");
  EXPECT_NE(a->fingerprint(), b->fingerprint());
  EXPECT_EQ(a->fingerprint(), BpeTokenizer::from_file(tmp / "a.json")->fingerprint());
  fs::remove_all(tmp);
}

// ---- UTF-8 helpers ------------------------------------------------------------------------------

TEST(Utf8, LossyReplacesMaximalSubparts) {
  using tok::utf8::lossy;
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(lossy("abc"), "abc");
  EXPECT_EQ(lossy("a\x80z"), "a" + r + "z");
  EXPECT_EQ(lossy("\xE0\x80"), r + r);         // E0 needs A0..BF next
  EXPECT_EQ(lossy("\xF0\x90\x80" "A"), r + "A");  // one subpart of three bytes
  EXPECT_EQ(lossy("\xF4\x90\x80\x80"), r + r + r + r);  // above U+10FFFF
  EXPECT_TRUE(tok::utf8::is_valid("中🙂é"));
  EXPECT_FALSE(tok::utf8::is_valid("\xC3"));
}

}  // namespace
}  // namespace socrates
