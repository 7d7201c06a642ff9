// PCRE2 (UTF, UCP, JIT-compiled) regex for the pre-tokenizers, with a translator from the
// Oniguruma (Ruby syntax) patterns that Hugging Face tokenizer.json files carry.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

struct pcre2_real_code_8;

namespace socrates::tok {

/// Rewrites an Oniguruma/Ruby pattern into the PCRE2 pattern that matches the same text:
/// \s \S \w \W \d \D \h \H get Oniguruma's Unicode meaning (written out as explicit
/// classes rather than left to PCRE2's UCP rules, which differ), \uHHHH becomes \x{HHHH},
/// and the Ruby flag (?m) (dot matches newline) becomes (?s). Compile the result with
/// multiline anchors, as Ruby's ^ and $ always are. Throws std::invalid_argument for
/// constructs PCRE2 cannot express (nested or intersected classes, \S \W \H inside a class).
std::string translate_oniguruma(std::string_view pattern);

class Regex {
 public:
  /// `pattern` in Oniguruma syntax (translated), or a literal string when `literal`.
  /// Throws std::invalid_argument with PCRE2's message when it does not compile.
  Regex(std::string_view pattern, bool literal);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  /// Finds the next match in `subject` at or after `from`. Returns false when there is none.
  /// `subject` must be valid UTF-8 and `from` on a code point boundary. Thread-safe.
  bool find(std::string_view subject, std::size_t from, std::size_t& start, std::size_t& end) const;

  const std::string& pattern() const { return pattern_; }

 private:
  std::string pattern_;
  pcre2_real_code_8* code_ = nullptr;
  bool jit_ = false;
};

}  // namespace socrates::tok
