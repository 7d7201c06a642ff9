// Conversions between toml++ nodes and socrates::Value, and a TOML writer for Value trees
// (shortest round-trip floats, stable key order).
#pragma once

#include <string>
#include <vector>

#include <toml++/toml.h>

#include "socrates/value.hpp"

namespace socrates {

/// The value of a TOML node (dates and times become strings).
Value from_toml(const toml::node& node);

/// `v` written as one TOML value: 16, 1e-05, "cosine", ["q", "v"], { a = 1 }.
std::string to_toml_value_text(const Value& v);

/// `t` as a TOML document. Top-level keys listed in `order` come first, in that order;
/// the rest follow sorted. Scalars precede [tables] and [[arrays of tables]].
std::string to_toml_document(const Table& t, const std::vector<std::string>& order = {});

}  // namespace socrates
