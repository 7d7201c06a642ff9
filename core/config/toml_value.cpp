#include "config/toml_value.hpp"

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
template <class Insert>
void insert_value(const Value& v, Insert&& insert) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          // TOML has no null: absent values are not written.
        } else if constexpr (std::is_same_v<T, Array>) {
          insert(to_toml_array(x));
        } else if constexpr (std::is_same_v<T, Table>) {
          insert(to_toml_table(x));
        } else {
          insert(x);
        }
      },
      v.storage());
}
}  // namespace

toml::array to_toml_array(const Array& a) {
  toml::array out;
  for (const Value& e : a) insert_value(e, [&](auto&& x) { out.push_back(std::forward<decltype(x)>(x)); });
  return out;
}

toml::table to_toml_table(const Table& t) {
  toml::table out;
  for (const auto& [k, v] : t) insert_value(v, [&](auto&& x) { out.insert(k, std::forward<decltype(x)>(x)); });
  return out;
}

std::string to_toml_node_text(const Value& v) {
  toml::table t;
  insert_value(v, [&](auto&& x) { t.insert("v", std::forward<decltype(x)>(x)); });
  std::ostringstream os;
  os << t;  // "v = <value>"
  std::string s = os.str();
  auto eq = s.find("= ");
  if (eq == std::string::npos) return s;
  s = s.substr(eq + 2);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace socrates
