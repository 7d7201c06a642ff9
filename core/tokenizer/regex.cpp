#include "tokenizer/regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include "socrates/error.hpp"

namespace socrates::tok {

namespace {

// Oniguruma's Unicode \s: the White_Space property.
constexpr const char* kSpaceItems = "\\t\\n\\x{0B}\\f\\r\\x{20}\\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";
// Oniguruma's \w, as measured on tokenizers 0.23: Alphabetic, marks, decimal digits and
// connector punctuation; outside a class also the Latin-1 digits and fractions (¹²³¼½¾).
constexpr const char* kWordItems = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\x{B2}\\x{B3}\\x{B9}\\x{BC}-\\x{BE}";
constexpr const char* kWordItemsInClass = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}";
constexpr const char* kHexItems = "0-9a-fA-F";

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

}  // namespace

std::string translate_oniguruma(std::string_view p) {
  std::string out;
  out.reserve(p.size() * 2);
  bool in_class = false;
  std::size_t class_start = 0;  // index in p just after '[' or '[^'
  for (std::size_t i = 0; i < p.size(); ++i) {
    const char c = p[i];
    if (c == '\\' && i + 1 < p.size()) {
      const char e = p[++i];
      auto unsupported = [&](const char* what) {
        throw std::invalid_argument(std::string("regex construct not supported: ") + what + " inside a character class");
      };
      switch (e) {
        case 's':
          out += in_class ? std::string(kSpaceItems) : std::string("[") + kSpaceItems + "]";
          break;
        case 'S':
          if (in_class) unsupported("\\S");
          out += std::string("[^") + kSpaceItems + "]";
          break;
        case 'w':
          out += in_class ? std::string(kWordItemsInClass) : std::string("[") + kWordItems + "]";
          break;
        case 'W':
          if (in_class) unsupported("\\W");
          out += std::string("[^") + kWordItems + "]";
          break;
        case 'd':
          out += "\\p{Nd}";
          break;
        case 'D':
          out += "\\P{Nd}";
          break;
        case 'h':
          out += in_class ? std::string(kHexItems) : std::string("[") + kHexItems + "]";
          break;
        case 'H':
          if (in_class) unsupported("\\H");
          out += std::string("[^") + kHexItems + "]";
          break;
        case 'u':
          if (i + 4 < p.size() && is_hex(p[i + 1]) && is_hex(p[i + 2]) && is_hex(p[i + 3]) && is_hex(p[i + 4])) {
            out += "\\x{";
            out.append(p.substr(i + 1, 4));
            out += "}";
            i += 4;
          } else {
            out += "\\u";
          }
          break;
        default:
          out += '\\';
          out += e;
      }
      continue;
    }
    if (in_class) {
      if (c == '[') {
        if (i + 1 < p.size() && p[i + 1] == ':') {  // POSIX bracket [:alpha:]
          const std::size_t close = p.find(":]", i + 2);
          if (close == std::string_view::npos) throw std::invalid_argument("unterminated POSIX class");
          out.append(p.substr(i, close + 2 - i));
          i = close + 1;
          continue;
        }
        throw std::invalid_argument("nested character classes are not supported");
      }
      if (c == '&' && i + 1 < p.size() && p[i + 1] == '&')
        throw std::invalid_argument("character class intersection (&&) is not supported");
      if (c == ']' && i != class_start) in_class = false;
      out += c;
      continue;
    }
    if (c == '[') {
      in_class = true;
      out += c;
      class_start = i + 1;
      if (class_start < p.size() && p[class_start] == '^') {
        out += '^';
        ++i;
        ++class_start;
      }
      continue;
    }
    if (c == '(' && i + 1 < p.size() && p[i + 1] == '?') {
      // Option groups (?imx-imx) and (?imx-imx:...): Ruby's m is PCRE2's s.
      std::size_t j = i + 2;
      while (j < p.size() && (p[j] == 'i' || p[j] == 'm' || p[j] == 'x' || p[j] == '-')) ++j;
      if (j > i + 2 && j < p.size() && (p[j] == ':' || p[j] == ')')) {
        out += "(?";
        for (std::size_t k = i + 2; k < j; ++k) out += p[k] == 'm' ? 's' : p[k];
        i = j - 1;
        continue;
      }
    }
    out += c;
  }
  return out;
}

namespace {
pcre2_jit_stack* jit_stack_callback(void* stack) { return static_cast<pcre2_jit_stack*>(stack); }

// Per thread: match data, a JIT stack (reserved up to 64 MiB, committed as it grows) and a match
// context, whose match limit each call sets from the length of its subject.
struct ThreadMatchState {
  pcre2_match_data* data = nullptr;
  pcre2_jit_stack* stack = nullptr;
  pcre2_match_context* context = nullptr;
  ThreadMatchState() {
    data = pcre2_match_data_create(32, nullptr);
    stack = pcre2_jit_stack_create(32 * 1024, 64 * 1024 * 1024, nullptr);
    context = pcre2_match_context_create(nullptr);
    pcre2_jit_stack_assign(context, jit_stack_callback, stack);
  }
  ~ThreadMatchState() {
    pcre2_match_context_free(context);
    pcre2_match_data_free(data);
    pcre2_jit_stack_free(stack);
  }
};

ThreadMatchState& thread_state() {
  thread_local ThreadMatchState state;
  return state;
}

// PCRE2's match limit counts backtracking points, and a pre-tokenizer pattern such as
// `\s+(?!\S)` leaves one per character of a long run, so a fixed limit (10 million by default)
// rejects valid long texts (10 MB of spaces). The pre-tokenizer patterns are linear, so the
// limit grows with the text: 16 per byte, at least the default.
std::uint32_t match_limit_for(std::size_t bytes) {
  constexpr std::uint64_t kDefault = 10'000'000, kMax = 0xFFFFFFFFu;
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(kMax, std::max<std::uint64_t>(kDefault, 16ull * bytes)));
}
}  // namespace

Regex::Regex(std::string_view pattern, bool literal)
    : pattern_(literal ? std::string(pattern) : translate_oniguruma(pattern)) {
  pcre2_compile_context* cc = pcre2_compile_context_create(nullptr);
  pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
  int err = 0;
  PCRE2_SIZE offset = 0;
  const uint32_t options = literal ? (PCRE2_UTF | PCRE2_LITERAL) : (PCRE2_UTF | PCRE2_UCP | PCRE2_MULTILINE);
  code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern_.data()), pattern_.size(), options, &err, &offset, cc);
  pcre2_compile_context_free(cc);
  if (!code_) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(err, msg, sizeof msg);
    throw std::invalid_argument("regex does not compile (PCRE2: " + std::string(reinterpret_cast<char*>(msg)) +
                                " at offset " + std::to_string(offset) + " of '" + pattern_ + "')");
  }
  jit_ = pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE) == 0;
}

Regex::~Regex() {
  pcre2_code_free(code_);
}

bool Regex::find(std::string_view subject, std::size_t from, std::size_t& start, std::size_t& end) const {
  ThreadMatchState& st = thread_state();
  const auto* s = reinterpret_cast<PCRE2_SPTR>(subject.data());
  pcre2_set_match_limit(st.context, match_limit_for(subject.size() - std::min(from, subject.size())));
  const int rc = jit_ ? pcre2_jit_match(code_, s, subject.size(), from, PCRE2_NO_UTF_CHECK, st.data, st.context)
                      : pcre2_match(code_, s, subject.size(), from, PCRE2_NO_UTF_CHECK, st.data, st.context);
  if (rc == PCRE2_ERROR_NOMATCH) return false;
  if (rc < 0) {
    PCRE2_UCHAR msg[256];
    pcre2_get_error_message(rc, msg, sizeof msg);
    throw Error("tokenizer: pre-tokenizer regex failed on a text of " + std::to_string(subject.size()) +
                " bytes (PCRE2: " + std::string(reinterpret_cast<char*>(msg)) + ") for '" + pattern_ + "'");
  }
  const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(st.data);
  start = ov[0];
  end = ov[1];
  return true;
}

}  // namespace socrates::tok
