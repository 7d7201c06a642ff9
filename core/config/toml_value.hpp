// Conversions between toml++ nodes and socrates::Value.
#pragma once

#include <string>

#include <toml++/toml.h>

#include "socrates/value.hpp"

namespace socrates {

/// The value of a TOML node (dates and times become strings).
Value from_toml(const toml::node& node);

/// A toml++ node holding `v` (tables and arrays recursively).
toml::table to_toml_table(const Table& t);
toml::array to_toml_array(const Array& a);

/// `v` written as a TOML value.
std::string to_toml_node_text(const Value& v);

}  // namespace socrates
