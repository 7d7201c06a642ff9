// socrates::BpeTokenizer: a byte-level BPE tokenizer loaded from a Hugging Face
// tokenizer.json, producing the same ids as Hugging Face `tokenizers`
// (encode(text, add_special_tokens=False), decode(ids, skip_special_tokens)).
//
// Supported tokenizer.json components:
//   normalizer     null, NFC, NFD, NFKC, NFKD, Sequence of those
//   pre_tokenizer  null, Split (Regex/String pattern, any behavior, invert), ByteLevel
//                  (add_prefix_space, use_regex; must be last), Digits, WhitespaceSplit, Sequence
//   model          BPE (merges as "a b" or ["a", "b"], ignore_merges, unk_token, fuse_unk,
//                  byte_fallback, continuing_subword_prefix, end_of_word_suffix; no dropout)
//   decoder        null, ByteLevel (or a Sequence holding only ByteLevel)
//   added_tokens   special, normalized, lstrip, rstrip, single_word
//   post_processor, truncation, padding: ignored (encode never adds special tokens,
//                  never truncates or pads)
// Anything else is rejected at load time with an error naming the file and the component.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "socrates/tokenizer.hpp"

namespace socrates {

class BpeTokenizer final : public Tokenizer {
 public:
  /// Loads `path`: a tokenizer.json, or a model directory that contains one. Throws
  /// socrates::Error naming the file and what to do (missing file, bad JSON, missing vocab,
  /// unsupported component).
  static std::unique_ptr<BpeTokenizer> from_file(const std::filesystem::path& path);
  /// Loads tokenizer.json content; `source` names it in error messages.
  static std::unique_ptr<BpeTokenizer> from_json_text(std::string_view json, const std::string& source);

  ~BpeTokenizer() override;
  BpeTokenizer(const BpeTokenizer&) = delete;
  BpeTokenizer& operator=(const BpeTokenizer&) = delete;

  /// Invalid UTF-8 in `text` is first replaced by U+FFFD per maximal invalid subpart (as
  /// Python's bytes.decode("utf-8", "replace") does). Thread-safe.
  std::vector<std::int32_t> encode(std::string_view text) const override;
  /// As encode, appending to `out`.
  void encode_into(std::string_view text, std::vector<std::int32_t>& out) const;
  /// Unknown ids are skipped. Bytes that do not form UTF-8 become U+FFFD, as in HF.
  std::string decode(const std::vector<std::int32_t>& ids, bool skip_special = false) const override;
  std::optional<std::int32_t> token_id(std::string_view token) const override;
  /// "sha256:" + hex SHA-256 of the tokenizer.json bytes.
  std::string fingerprint() const override;

  /// Largest id (vocabulary or added token) plus one: the embedding rows a model needs.
  std::size_t vocab_size() const;
  /// The token text of `id` as stored in tokenizer.json (byte-level form, e.g. "Ġthe"), or
  /// nullopt. The view lives as long as the tokenizer.
  std::optional<std::string_view> id_to_token(std::int32_t id) const;
  /// Ids of the added tokens marked special, ascending.
  const std::vector<std::int32_t>& special_ids() const;
  /// The tokenizer.json this was loaded from (or the `source` given to from_json_text).
  const std::string& source() const;

  struct Impl;

 private:
  explicit BpeTokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace socrates
