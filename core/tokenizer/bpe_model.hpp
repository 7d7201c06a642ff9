// tokenizer.json "model" of type BPE: vocabulary, ranked merges, and the merge loop that
// turns one pre-tokenized word into token ids.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/pair_map.hpp"

namespace socrates::tok {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
using TokenIdMap = std::unordered_map<std::string, std::int32_t, StringHash, std::equal_to<>>;

class BpeModel {
 public:
  /// From the tokenizer.json "model" object. `byte_level` says words arrive as raw bytes
  /// that the ByteLevel alphabet stands for. Throws std::invalid_argument saying what is
  /// missing or unsupported.
  static BpeModel from_json(const nlohmann::json& model, bool byte_level);

  std::optional<std::int32_t> token_to_id(std::string_view token) const {
    const auto it = vocab_.find(token);
    if (it == vocab_.end()) return std::nullopt;
    return it->second;
  }
  /// Text of `id` (nullptr when the vocabulary has no such id).
  const std::string* id_to_token(std::int32_t id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= tokens_.size() || !present_[static_cast<std::size_t>(id)]) return nullptr;
    return &tokens_[static_cast<std::size_t>(id)];
  }
  std::size_t size() const { return vocab_.size(); }
  std::int32_t max_id() const { return static_cast<std::int32_t>(tokens_.size()) - 1; }
  std::size_t merge_count() const { return merges_.size(); }

  /// Appends the ids of one non-empty word. Thread-safe.
  void encode_word(std::string_view word, std::vector<std::int32_t>& out) const;

 private:
  void initial_symbols(std::string_view word, std::vector<std::int32_t>& syms) const;
  void initial_symbols_generic(std::string_view text, std::vector<std::int32_t>& syms) const;
  void merge(std::vector<std::int32_t>& syms) const;
  void merge_small(std::vector<std::int32_t>& syms) const;
  void merge_large(std::vector<std::int32_t>& syms) const;

  TokenIdMap vocab_;
  std::vector<std::string> tokens_;
  std::vector<std::uint8_t> present_;
  PairMap merges_;
  bool byte_level_ = false;
  bool fast_bytes_ = false;  // every byte has a vocabulary id and no prefix/suffix applies
  std::array<std::int32_t, 256> byte_id_{};
  std::optional<std::int32_t> unk_id_;
  bool fuse_unk_ = false;
  bool byte_fallback_ = false;
  bool ignore_merges_ = false;
  std::string prefix_, suffix_;
};

}  // namespace socrates::tok
