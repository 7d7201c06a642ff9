// Reading evaluator result tables and formatting their numbers for reports.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "socrates/evaluator.hpp"

namespace socrates {

/// Shown for a value that is absent (evaluator not configured, column missing, NaN).
inline constexpr const char* kMissing = "—";

/// Index of `column` in `t`, or nullopt when the table has no such column.
std::optional<std::size_t> column_index(const ResultTable& t, std::string_view column);

/// Row `row`, column `column` as a number (int, float or bool); nullopt when the column is
/// missing, the value is empty, a string, or not finite.
std::optional<double> number_at(const ResultTable& t, std::size_t row, std::string_view column);

/// Row `row`, column `column` as text: strings as they are, integers in full, other numbers
/// as %g; "" when absent.
std::string text_at(const ResultTable& t, std::size_t row, std::string_view column);

/// `v` as JSON: none -> null, NaN/inf -> null, arrays and tables recursively.
nlohmann::json value_json(const Value& v);

/// `x` with `decimals` decimals ("0.152"), or "—" when absent or not finite.
std::string format_number(std::optional<double> x, int decimals = 3);

/// `x` (a fraction) as a percentage with one decimal ("1.2%"), or "—".
std::string format_percent(std::optional<double> x);

/// `x` rounded to an integer ("120"), or "—".
std::string format_count(std::optional<double> x);

}  // namespace socrates
