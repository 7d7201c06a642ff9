// Concern: prompt format. Turns an Example into model text and a loss-masked token sequence.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "socrates/example.hpp"
#include "socrates/plugin.hpp"
#include "socrates/tokenizer.hpp"

namespace socrates {

/// Label value that carries no loss (as in transformers).
inline constexpr std::int32_t kIgnoreIndex = -100;

struct TokenizedExample {
  std::vector<std::int32_t> input_ids;
  /// Same length as input_ids; kIgnoreIndex on prompt tokens, the token id where loss applies.
  std::vector<std::int32_t> labels;
  bool truncated = false;  // the prompt was cut to fit max_len
};

class SOCRATES_API PromptFormat : public Component {
 public:
  static constexpr const char* kConcern = "prompt_format";

  /// Everything the model reads before its answer (for generation and evaluation).
  virtual std::string render_prompt(const Example& ex) const = 0;
  /// The answer text the model should produce, without the end-of-turn marker.
  virtual std::string render_response(const Example& ex) const = 0;
  /// The training sequence: prompt, response and end-of-turn token, with loss only on the
  /// response and end-of-turn. At most max_len tokens: the prompt is truncated from the
  /// left and `truncated` set; if even the response does not fit, throws socrates::Error.
  virtual TokenizedExample tokenize(const Example& ex, const Tokenizer& tok, std::int64_t max_len) const = 0;
  /// Token strings that end the model's answer when generating (e.g. "<|im_end|>").
  virtual std::vector<std::string> stop_strings() const = 0;
  /// Stable hash of the template and options (for caches).
  virtual std::string fingerprint() const = 0;
};

}  // namespace socrates
