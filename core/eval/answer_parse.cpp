#include "eval/answer_parse.hpp"

#include <cstdlib>
#include <string>

namespace socrates {

namespace {
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
}  // namespace

std::optional<double> parse_answer(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && !is_digit(s[i])) ++i;
  if (i == s.size()) return std::nullopt;
  const bool negative = i > 0 && s[i - 1] == '-' && (i < 2 || !is_alnum(s[i - 2]));

  std::string number;
  while (i < s.size() && is_digit(s[i])) number += s[i++];
  // Thousands groups: ",ddd" not followed by another digit.
  while (i + 3 < s.size() && s[i] == ',' && is_digit(s[i + 1]) && is_digit(s[i + 2]) && is_digit(s[i + 3]) &&
         (i + 4 >= s.size() || !is_digit(s[i + 4]))) {
    number.append(s.substr(i + 1, 3));
    i += 4;
  }
  if (i + 1 < s.size() && s[i] == '.' && is_digit(s[i + 1])) {
    number += '.';
    for (++i; i < s.size() && is_digit(s[i]); ++i) number += s[i];
  }
  const double v = std::strtod(number.c_str(), nullptr);
  return negative && v != 0 ? -v : v;
}

}  // namespace socrates
