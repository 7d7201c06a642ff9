#include "config/toml_value.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace socrates {

Value from_toml(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::boolean: return Value(*node.value<bool>());
    case toml::node_type::integer: return Value(*node.value<std::int64_t>());
    case toml::node_type::floating_point: return Value(*node.value<double>());
    case toml::node_type::string: return Value(*node.value<std::string>());
    case toml::node_type::array: {
      Array out;
      for (const toml::node& e : *node.as_array()) out.push_back(from_toml(e));
      return Value(std::move(out));
    }
    case toml::node_type::table: {
      Table out;
      for (const auto& [k, v] : *node.as_table()) out.emplace(std::string(k.str()), from_toml(v));
      return Value(std::move(out));
    }
    default: {  // date, time, date_time: keep the text
      std::ostringstream os;
      node.visit([&](const auto& n) { os << n; });
      return Value(os.str());
    }
  }
}

namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string key_text(const std::string& k) {
  const bool bare = !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
  return bare ? k : quote(k);
}

std::string float_text(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);  // shortest round-trip form
  std::string s(buf, end);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

bool is_table_array(const Value& v) {
  if (!v.is<Array>() || v.as<Array>().empty()) return false;
  for (const Value& e : v.as<Array>())
    if (!e.is<Table>()) return false;
  return true;
}

void write_table(std::ostream& os, const Table& t, const std::string& prefix, const std::vector<std::string>& order);

}  // namespace

std::string to_toml_value_text(const Value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "\"\"";
        } else if constexpr (std::is_same_v<T, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return std::to_string(x);
        } else if constexpr (std::is_same_v<T, double>) {
          return float_text(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return quote(x);
        } else if constexpr (std::is_same_v<T, Array>) {
          std::string s = "[";
          for (std::size_t i = 0; i < x.size(); ++i) s += (i ? ", " : "") + to_toml_value_text(x[i]);
          return s + "]";
        } else {
          std::string s = "{";
          bool first = true;
          for (const auto& [k, e] : x) {
            if (e.empty()) continue;
            s += std::string(first ? " " : ", ") + key_text(k) + " = " + to_toml_value_text(e);
            first = false;
          }
          return s + (first ? "}" : " }");
        }
      },
      v.storage());
}

namespace {
void write_table(std::ostream& os, const Table& t, const std::string& prefix, const std::vector<std::string>& order) {
  std::vector<std::string> keys;
  for (const std::string& k : order)
    if (t.count(k)) keys.push_back(k);
  for (const auto& [k, v] : t)
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);

  for (const std::string& k : keys) {
    const Value& v = t.find(k)->second;
    if (v.empty() || v.is<Table>() || is_table_array(v)) continue;
    os << key_text(k) << " = " << to_toml_value_text(v) << "\n";
  }
  for (const std::string& k : keys) {
    const Value& v = t.find(k)->second;
    const std::string name = prefix.empty() ? key_text(k) : prefix + "." + key_text(k);
    if (v.is<Table>()) {
      os << "\n[" << name << "]\n";
      write_table(os, v.as<Table>(), name, {});
    } else if (is_table_array(v)) {
      for (const Value& e : v.as<Array>()) {
        os << "\n[[" << name << "]]\n";
        write_table(os, e.as<Table>(), name, {});
      }
    }
  }
}
}  // namespace

std::string to_toml_document(const Table& t, const std::vector<std::string>& order) {
  std::ostringstream os;
  write_table(os, t, "", order);
  return os.str();
}

}  // namespace socrates
