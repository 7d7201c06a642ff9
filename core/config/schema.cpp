#include "config/schema.hpp"

#include <algorithm>
#include <sstream>

#include <toml++/toml.h>

#include "config/toml_value.hpp"
#include "socrates/error.hpp"

namespace socrates {

const char* option_type_name(socrates_option_type t) {
  switch (t) {
    case SOCRATES_BOOL: return "bool";
    case SOCRATES_INT: return "int";
    case SOCRATES_FLOAT: return "float";
    case SOCRATES_STRING: return "string";
    case SOCRATES_PATH: return "path";
    case SOCRATES_STRING_LIST: return "string[]";
    case SOCRATES_INT_LIST: return "int[]";
    case SOCRATES_FLOAT_LIST: return "float[]";
    case SOCRATES_PATH_LIST: return "path[]";
  }
  return "unknown";
}

namespace {
bool all_of_array(const Value& v, bool (*pred)(const Value&)) {
  if (!v.is<Array>()) return false;
  const Array& a = v.as<Array>();
  return std::all_of(a.begin(), a.end(), pred);
}
bool is_float(const Value& v) { return v.is<double>() || v.is<std::int64_t>(); }
bool is_int(const Value& v) { return v.is<std::int64_t>(); }
bool is_string(const Value& v) { return v.is<std::string>(); }
}  // namespace

bool value_matches(const Value& v, socrates_option_type t) {
  switch (t) {
    case SOCRATES_BOOL: return v.is<bool>();
    case SOCRATES_INT: return is_int(v);
    case SOCRATES_FLOAT: return is_float(v);
    case SOCRATES_STRING:
    case SOCRATES_PATH: return is_string(v);
    case SOCRATES_STRING_LIST:
    case SOCRATES_PATH_LIST: return all_of_array(v, is_string);
    case SOCRATES_INT_LIST: return all_of_array(v, is_int);
    case SOCRATES_FLOAT_LIST: return all_of_array(v, is_float);
  }
  return false;
}

Value canonicalize(const Value& v, socrates_option_type t) {
  if (t == SOCRATES_FLOAT && v.is<std::int64_t>()) return Value(static_cast<double>(v.as<std::int64_t>()));
  if (t == SOCRATES_FLOAT_LIST && v.is<Array>()) {
    Array out;
    for (const Value& e : v.as<Array>()) out.push_back(canonicalize(e, SOCRATES_FLOAT));
    return Value(std::move(out));
  }
  return v;
}

Schema schema_from_descriptor(const socrates_option* options, std::uint32_t count, const std::string& owner) {
  Schema schema;
  for (std::uint32_t i = 0; i < count; ++i) {
    const socrates_option& o = options[i];
    if (o.key == nullptr || *o.key == '\0') {
      throw PluginError(owner + ": option #" + std::to_string(i) + " has no key");
    }
    if (o.type > SOCRATES_PATH_LIST) {
      throw PluginError(owner + ": option '" + o.key + "' has unknown type code " + std::to_string(o.type));
    }
    OptionSpec spec;
    spec.key = o.key;
    spec.type = o.type;
    spec.doc = o.doc ? o.doc : "";
    if (o.choices) {
      std::stringstream ss(o.choices);
      for (std::string c; std::getline(ss, c, '|');) spec.choices.push_back(c);
    }
    if (o.default_toml) {
      auto v = parse_toml_value(o.default_toml);
      if (!v || !value_matches(*v, o.type)) {
        throw PluginError(owner + ": option '" + spec.key + "' has default `" + o.default_toml +
                          "`, which is not a TOML " + option_type_name(o.type));
      }
      spec.default_value = canonicalize(*v, o.type);
    }
    for (const OptionSpec& prev : schema) {
      if (prev.key == spec.key) throw PluginError(owner + ": option '" + spec.key + "' is declared twice");
    }
    schema.push_back(std::move(spec));
  }
  return schema;
}

std::string to_toml_text(const Value& v) { return to_toml_value_text(v); }

std::optional<Value> parse_toml_value(std::string_view text) {
  std::string doc = "v = ";
  doc.append(text);
  doc.push_back('\n');
  toml::table t;
  try {
    t = toml::parse(doc);
  } catch (const toml::parse_error&) {
    return std::nullopt;
  }
  if (t.size() != 1) return std::nullopt;
  const toml::node* n = t.get("v");
  if (!n) return std::nullopt;
  return from_toml(*n);
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  auto distance = [](std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      }
      std::swap(prev, cur);
    }
    return prev[b.size()];
  };
  std::string best;
  std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const std::string& c : candidates) {
    std::size_t d = distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

}  // namespace socrates
