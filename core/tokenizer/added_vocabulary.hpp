// tokenizer.json "added_tokens": tokens matched in the raw text before the model runs
// ("<|im_end|>"), with HF's rules: leftmost-longest match, single_word, lstrip, rstrip,
// and normalized tokens matched on the normalized text.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/function_ref.hpp"

namespace socrates::tok {

struct AddedToken {
  std::string content;
  std::int32_t id = -1;
  bool special = false;
  bool normalized = true;
  bool lstrip = false;
  bool rstrip = false;
  bool single_word = false;
};

/// One set of patterns (either the raw or the normalized ones), searched leftmost-longest.
class AddedTokenMatcher {
 public:
  /// `patterns[i]` is the text to find for `tokens[i]` (the content, or its normalized form).
  void build(std::vector<std::string> patterns, std::vector<const AddedToken*> tokens);
  bool empty() const { return tokens_.empty(); }

  /// Splits `text` (valid UTF-8) into the pieces between added tokens (`id` < 0) and the
  /// added tokens themselves (`id` >= 0), left to right, skipping empty pieces.
  void split(std::string_view text, FunctionRef<void(std::string_view piece, std::int32_t id)> emit) const;

 private:
  struct Node {
    std::int32_t first_child = -1;  // index in edges_
    std::int32_t edge_count = 0;
    std::int32_t token = -1;        // index in tokens_ when a pattern ends here
  };
  struct Edge {
    unsigned char byte;
    std::int32_t node;
  };
  // Longest pattern starting at text[pos]: its token index and length, or -1.
  std::int32_t longest_at(std::string_view text, std::size_t pos, std::size_t& len) const;

  std::vector<Node> nodes_;
  std::vector<Edge> edges_;
  std::vector<const AddedToken*> tokens_;
  std::array<bool, 256> first_byte_{};
};

}  // namespace socrates::tok
