// A small TOML-like value tree. The host converts each validated config section into a
// socrates::Table so plugins never depend on the TOML parser.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "socrates/abi.hpp"

namespace socrates {

class Value;
using Array = std::vector<Value>;
using Table = std::map<std::string, Value, std::less<>>;

class SOCRATES_API Value {
 public:
  using Storage = std::variant<std::monostate, bool, std::int64_t, double, std::string, Array, Table>;

  Value() = default;
  Value(bool v) : v_(v) {}
  Value(int v) : v_(std::int64_t{v}) {}
  Value(std::int64_t v) : v_(v) {}
  Value(double v) : v_(v) {}
  Value(const char* v) : v_(std::string(v)) {}
  Value(std::string v) : v_(std::move(v)) {}
  Value(Array v) : v_(std::move(v)) {}
  Value(Table v) : v_(std::move(v)) {}

  template <class T>
  bool is() const { return std::holds_alternative<T>(v_); }
  template <class T>
  const T& as() const { return std::get<T>(v_); }
  template <class T>
  T& as() { return std::get<T>(v_); }
  bool empty() const { return is<std::monostate>(); }
  const Storage& storage() const { return v_; }

  /// "bool", "int", "float", "string", "array", "table" or "none".
  const char* type_name() const {
    static constexpr const char* names[] = {"none", "bool", "int", "float", "string", "array", "table"};
    return names[v_.index()];
  }

  friend bool operator==(const Value& a, const Value& b) { return a.v_ == b.v_; }

 private:
  Storage v_;
};

}  // namespace socrates
