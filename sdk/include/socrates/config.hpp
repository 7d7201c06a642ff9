// Typed, read-only view of one plugin's config section. The host has already validated
// the section against the plugin's option schema and filled in defaults, so get<T>() of
// a key declared in the schema always succeeds with the declared type.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "socrates/abi.hpp"
#include "socrates/error.hpp"
#include "socrates/value.hpp"

namespace socrates {

class SOCRATES_API ConfigSection {
 public:
  ConfigSection() = default;
  /// `path` is the section's name in the experiment ("adapter", "evaluators[1]");
  /// `origins` maps a key to "file:line" (or "--set") for error messages.
  ConfigSection(std::string path, Table values, std::map<std::string, std::string, std::less<>> origins = {})
      : path_(std::move(path)), values_(std::move(values)), origins_(std::move(origins)) {}

  const std::string& path() const { return path_; }
  const Table& values() const { return values_; }
  bool has(std::string_view key) const { return values_.find(key) != values_.end(); }

  /// Where `key` was set: "experiments/x.toml:12", "--set", "default", or "" if unknown.
  std::string origin(std::string_view key) const {
    auto it = origins_.find(key);
    return it == origins_.end() ? std::string() : it->second;
  }

  /// The value of `key` converted to T: bool, std::int64_t, int, double, std::string,
  /// std::filesystem::path, std::vector<std::string|std::int64_t|double>.
  /// Throws ConfigError naming `section.key` if it is missing or has another type.
  template <class T>
  T get(std::string_view key) const {
    auto it = values_.find(key);
    if (it == values_.end()) throw ConfigError("missing key '" + qualified(key) + "'");
    T out{};
    if (!convert(it->second, out)) {
      throw ConfigError(where(key) + "'" + qualified(key) + "' has type " + it->second.type_name() +
                        ", expected " + expected_name(out));
    }
    return out;
  }

  /// Like get<T>(), but returns `fallback` when the key is absent.
  template <class T>
  T get_or(std::string_view key, T fallback) const {
    return has(key) ? get<T>(key) : fallback;
  }

  /// "section.key" for messages.
  std::string qualified(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  /// A ConfigError for a bad value of `key`, prefixed with its origin.
  ConfigError error(std::string_view key, const std::string& what) const {
    return ConfigError(where(key) + "'" + qualified(key) + "': " + what);
  }

 private:
  std::string where(std::string_view key) const {
    std::string o = origin(key);
    return o.empty() ? std::string() : o + ": ";
  }
  static bool convert(const Value& v, bool& out) { return v.is<bool>() && ((out = v.as<bool>()), true); }
  static bool convert(const Value& v, std::int64_t& out) {
    return v.is<std::int64_t>() && ((out = v.as<std::int64_t>()), true);
  }
  static bool convert(const Value& v, int& out) {
    std::int64_t w;
    if (!convert(v, w) || w < INT32_MIN || w > INT32_MAX) return false;
    out = static_cast<int>(w);
    return true;
  }
  static bool convert(const Value& v, double& out) {
    if (v.is<double>()) return (out = v.as<double>()), true;
    if (v.is<std::int64_t>()) return (out = static_cast<double>(v.as<std::int64_t>())), true;
    return false;
  }
  static bool convert(const Value& v, std::string& out) {
    return v.is<std::string>() && ((out = v.as<std::string>()), true);
  }
  static bool convert(const Value& v, std::filesystem::path& out) {
    return v.is<std::string>() && ((out = v.as<std::string>()), true);
  }
  template <class E>
  static bool convert(const Value& v, std::vector<E>& out) {
    if (!v.is<Array>()) return false;
    out.clear();
    for (const Value& e : v.as<Array>()) {
      E x{};
      if (!convert(e, x)) return false;
      out.push_back(std::move(x));
    }
    return true;
  }
  static const char* expected_name(bool) { return "bool"; }
  static const char* expected_name(std::int64_t) { return "int"; }
  static const char* expected_name(int) { return "int"; }
  static const char* expected_name(double) { return "float"; }
  static const char* expected_name(const std::string&) { return "string"; }
  static const char* expected_name(const std::filesystem::path&) { return "string (path)"; }
  template <class E>
  static const char* expected_name(const std::vector<E>&) { return "array"; }

  std::string path_;
  Table values_;
  std::map<std::string, std::string, std::less<>> origins_;
};

}  // namespace socrates
