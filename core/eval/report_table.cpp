#include "eval/report_table.hpp"

#include <cmath>
#include <cstdint>
#include <variant>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace socrates {

namespace {

bool finite(std::optional<double> x) { return x && std::isfinite(*x); }

}  // namespace

std::optional<std::size_t> column_index(const ResultTable& t, std::string_view column) {
  for (std::size_t i = 0; i < t.columns.size(); ++i) {
    if (t.columns[i] == column) return i;
  }
  return std::nullopt;
}

std::optional<double> number_at(const ResultTable& t, std::size_t row, std::string_view column) {
  const auto col = column_index(t, column);
  if (!col || row >= t.rows.size() || *col >= t.rows[row].size()) return std::nullopt;
  const Value& v = t.rows[row][*col];
  std::optional<double> x;
  if (v.is<double>()) x = v.as<double>();
  else if (v.is<std::int64_t>()) x = static_cast<double>(v.as<std::int64_t>());
  else if (v.is<bool>()) x = v.as<bool>() ? 1.0 : 0.0;
  return finite(x) ? x : std::nullopt;
}

std::string text_at(const ResultTable& t, std::size_t row, std::string_view column) {
  const auto col = column_index(t, column);
  if (!col || row >= t.rows.size() || *col >= t.rows[row].size()) return "";
  const Value& v = t.rows[row][*col];
  if (v.is<std::string>()) return v.as<std::string>();
  if (v.is<std::int64_t>()) return std::to_string(v.as<std::int64_t>());
  if (v.is<double>()) return fmt::format("{:g}", v.as<double>());
  if (v.is<bool>()) return v.as<bool>() ? "true" : "false";
  return "";
}

nlohmann::json value_json(const Value& v) {
  return std::visit(
      [](const auto& x) -> nlohmann::json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, double>) {
          return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(nullptr);
        } else if constexpr (std::is_same_v<T, Array>) {
          nlohmann::json a = nlohmann::json::array();
          for (const auto& e : x) a.push_back(value_json(e));
          return a;
        } else if constexpr (std::is_same_v<T, Table>) {
          nlohmann::json o = nlohmann::json::object();
          for (const auto& [k, e] : x) o[k] = value_json(e);
          return o;
        } else {
          return x;
        }
      },
      v.storage());
}

std::string format_number(std::optional<double> x, int decimals) {
  return finite(x) ? fmt::format("{:.{}f}", *x, decimals) : kMissing;
}

std::string format_percent(std::optional<double> x) {
  return finite(x) ? fmt::format("{:.1f}%", *x * 100.0) : kMissing;
}

std::string format_count(std::optional<double> x) {
  return finite(x) ? fmt::format("{:.0f}", *x) : kMissing;
}

}  // namespace socrates
