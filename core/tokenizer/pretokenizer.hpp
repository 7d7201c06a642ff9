// tokenizer.json "pre_tokenizer": splits normalized text into the words the model encodes.
// Supported: Split (Regex or String pattern; every behavior; invert), ByteLevel
// (add_prefix_space, use_regex with the GPT-2 pattern; must come last), Digits, Sequence, null.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "tokenizer/function_ref.hpp"
#include "tokenizer/regex.hpp"

namespace socrates::tok {

enum class SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous };

class PreTokenizer {
 public:
  /// Throws std::invalid_argument naming an unsupported type or option.
  static PreTokenizer from_json(const nlohmann::json& j);

  /// True when a ByteLevel step is present: words are bytes shown in the byte alphabet.
  bool byte_level() const { return byte_level_; }

  /// Calls `emit` for each word of valid UTF-8 `text`, left to right. The views are valid
  /// only during the call. Thread-safe.
  void run(std::string_view text, FunctionRef<void(std::string_view)> emit) const;

 private:
  struct Step {
    enum Kind { kSplit, kPrefixSpace } kind = kSplit;
    std::shared_ptr<const Regex> regex;
    SplitBehavior behavior = SplitBehavior::Isolated;
    bool invert = false;
  };
  void add(const nlohmann::json& j);
  void run_step(std::size_t step, std::string_view text, FunctionRef<void(std::string_view)> emit) const;

  std::vector<Step> steps_;
  bool byte_level_ = false;
};

/// GPT-2's pre-tokenization pattern, used by ByteLevel when use_regex is true.
inline constexpr const char* kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

}  // namespace socrates::tok
