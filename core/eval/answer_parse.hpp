// Reading the model's answer out of generated text.
#pragma once

#include <optional>
#include <string_view>

namespace socrates {

/// The number the model answered: the first number in `text`.
///
/// - A number is a run of ASCII digits, with a leading '-' when the '-' is not glued to a
///   letter or digit before it ("-2" -> -2, "COVID-19" -> 19, "4-5" -> 4).
/// - Thousands separators are read: "1,000" and "12,345,678" are one number (a ',' followed
///   by exactly three digits and then no further digit); "1,2" is 1.
/// - A decimal part is kept: "3.5" -> 3.5 (the evaluators take real values; they round or
///   clip where they need to). "5." and "5.x" are 5.
/// - Anything before the number is skipped ("Answer: 4" -> 4, "I'd say 6 out of 7" -> 6).
/// - No digit at all (empty text, "four", "N/A") -> nullopt: a parse failure.
std::optional<double> parse_answer(std::string_view text);

}  // namespace socrates
