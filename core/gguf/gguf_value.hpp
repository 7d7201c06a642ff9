// One GGUF metadata value: a number, a bool, a string or an array of values.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "gguf/gguf_types.hpp"

namespace socrates::gguf {

class Value;

struct Array {
  std::uint32_t element_type = 0;  // a ValueType
  std::vector<Value> items;
};

class Value {
 public:
  using Storage = std::variant<std::uint64_t, std::int64_t, double, bool, std::string, std::shared_ptr<const Array>>;

  Value(std::uint32_t type, Storage v) : type_(type), v_(std::move(v)) {}

  /// The GGUF type it was stored as (ValueType as a number).
  std::uint32_t type() const { return type_; }
  bool is_integer() const { return std::holds_alternative<std::uint64_t>(v_) || std::holds_alternative<std::int64_t>(v_); }
  bool is_number() const { return is_integer() || std::holds_alternative<double>(v_); }

  /// The value as a signed integer, when it is an integer type that fits int64.
  std::optional<std::int64_t> to_int() const;
  /// Any number (integers and floats) as a double.
  std::optional<double> to_double() const;
  const bool* to_bool() const { return std::get_if<bool>(&v_); }
  const std::string* to_string() const { return std::get_if<std::string>(&v_); }
  const Array* to_array() const {
    const auto* p = std::get_if<std::shared_ptr<const Array>>(&v_);
    return p ? p->get() : nullptr;
  }

  /// Short human form for messages and `--log-level debug`: 42, "text", [49152 x string].
  std::string describe() const;

 private:
  std::uint32_t type_;
  Storage v_;
};

}  // namespace socrates::gguf
