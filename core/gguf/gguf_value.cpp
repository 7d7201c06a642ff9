#include "gguf/gguf_value.hpp"

#include <limits>
#include <sstream>

namespace socrates::gguf {

std::optional<std::int64_t> Value::to_int() const {
  if (const auto* s = std::get_if<std::int64_t>(&v_)) return *s;
  if (const auto* u = std::get_if<std::uint64_t>(&v_)) {
    if (*u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
    return static_cast<std::int64_t>(*u);
  }
  return std::nullopt;
}

std::optional<double> Value::to_double() const {
  if (const auto* d = std::get_if<double>(&v_)) return *d;
  if (const auto* s = std::get_if<std::int64_t>(&v_)) return static_cast<double>(*s);
  if (const auto* u = std::get_if<std::uint64_t>(&v_)) return static_cast<double>(*u);
  return std::nullopt;
}

std::string Value::describe() const {
  if (const Array* a = to_array()) {
    return "[" + std::to_string(a->items.size()) + " x " + value_type_name(a->element_type) + "]";
  }
  if (const std::string* s = to_string()) {
    std::string t = s->size() > 60 ? s->substr(0, 60) + "..." : *s;
    return "\"" + t + "\"";
  }
  if (const bool* b = to_bool()) return *b ? "true" : "false";
  if (const auto* d = std::get_if<double>(&v_)) {
    std::ostringstream os;
    os << *d;
    return os.str();
  }
  if (const auto* s = std::get_if<std::int64_t>(&v_)) return std::to_string(*s);
  return std::to_string(std::get<std::uint64_t>(v_));
}

}  // namespace socrates::gguf
