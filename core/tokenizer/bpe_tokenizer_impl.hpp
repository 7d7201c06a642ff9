// Internal state of socrates::BpeTokenizer (shared by its load and encode/decode files).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tokenizer/added_vocabulary.hpp"
#include "tokenizer/bpe_model.hpp"
#include "tokenizer/bpe_tokenizer.hpp"
#include "tokenizer/normalizer.hpp"
#include "tokenizer/pretokenizer.hpp"
#include "tokenizer/word_cache.hpp"

namespace socrates {

struct BpeTokenizer::Impl {
  std::string source;
  std::string fingerprint;
  std::uint64_t instance_id = 0;  // keys the per-thread word caches

  tok::Normalizer normalizer;
  tok::PreTokenizer pre_tokenizer;
  tok::BpeModel model;
  bool byte_level_decoder = false;

  std::vector<tok::AddedToken> added;  // stable storage the matchers point into
  tok::AddedTokenMatcher raw_matcher;         // added tokens with normalized == false
  tok::AddedTokenMatcher normalized_matcher;  // the others, matched on normalized text
  tok::TokenIdMap added_ids;                  // content -> id

  std::vector<std::int32_t> special_ids;
  std::vector<std::uint8_t> is_special;     // by id
  std::vector<std::string> added_text;      // by id; empty when not an added token
  std::vector<std::uint8_t> is_added;       // by id
  std::string decoded;                      // decoder output of every id, concatenated
  std::vector<std::uint32_t> decoded_off;   // id -> [off[id], off[id + 1]) in decoded
  std::size_t vocab_size = 0;

  tok::WordCache& thread_cache() const;
  void encode_word(std::string_view word, tok::WordCache& cache, std::vector<std::int32_t>& out) const;
};

}  // namespace socrates
