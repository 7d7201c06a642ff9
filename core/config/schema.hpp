// Option schemas: the C++ form of a plugin's socrates_option table, and the host's own
// sections ([run], [plugins], ...), validated the same way.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "socrates/plugin.hpp"
#include "socrates/value.hpp"

namespace socrates {

struct OptionSpec {
  std::string key;
  socrates_option_type type = SOCRATES_STRING;
  std::optional<Value> default_value;  // nullopt: required
  std::string doc;
  std::vector<std::string> choices;  // strings only; empty = any
};

using Schema = std::vector<OptionSpec>;

/// "bool", "int", "float", "string", "path", "string[]", "int[]", "float[]".
const char* option_type_name(socrates_option_type t);

/// Converts a descriptor's option table. `owner` names the plugin in errors. Throws
/// PluginError on a malformed default or an unknown type.
Schema schema_from_descriptor(const socrates_option* options, std::uint32_t count, const std::string& owner);

/// True if `v` has the type `t` asks for (an int is a valid float).
bool value_matches(const Value& v, socrates_option_type t);

/// `v` converted to the option's canonical type (ints in float options become floats).
Value canonicalize(const Value& v, socrates_option_type t);

/// A value as TOML text: 16, 1e-05, "cosine", ["q_proj", "v_proj"].
std::string to_toml_text(const Value& v);

/// Parses one TOML value ("16", "\"a\"", "[1, 2]", "true"). nullopt if it is not TOML.
std::optional<Value> parse_toml_value(std::string_view text);

/// The closest of `candidates` to `word` (edit distance <= max(2, |word|/3)), or "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace socrates
