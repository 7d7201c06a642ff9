// UTF-8 helpers for the tokenizer: validation, lossy repair and a few Unicode predicates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace socrates::tok::utf8 {

/// Length of the valid UTF-8 sequence at the start of `s` (1 to 4), or 0 when `s` starts
/// with an invalid one. Follows the Unicode well-formedness table (no overlongs, no
/// surrogates, nothing above U+10FFFF).
std::size_t valid_sequence_length(const unsigned char* s, std::size_t n);

/// True when `s` is well-formed UTF-8.
bool is_valid(std::string_view s);

/// Appends `s` to `out`, replacing each maximal invalid subpart by U+FFFD, exactly as
/// Rust's String::from_utf8_lossy and Python's bytes.decode("utf-8", "replace") do.
void append_lossy(std::string_view s, std::string& out);
std::string lossy(std::string_view s);

/// Decodes the code point at s[i] (which must start a valid sequence) and advances i.
char32_t next(std::string_view s, std::size_t& i);

/// Appends the UTF-8 encoding of `c`.
void append(char32_t c, std::string& out);

/// Unicode White_Space (what Rust's char::is_whitespace and Oniguruma's \s match).
bool is_white_space(char32_t c);

/// Rust regex's Unicode \w: letters, marks, decimal numbers, connector punctuation, ZWNJ/ZWJ.
bool is_word_char(char32_t c);

}  // namespace socrates::tok::utf8
