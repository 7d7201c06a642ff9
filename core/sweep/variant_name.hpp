// Variant names derived from overrides: adapter.r=16, dataset.fraction=0.1 -> "r16-frac0.1".
#pragma once

#include <string>
#include <vector>

#include "sweep/sweep_override.hpp"

namespace socrates::sweep {

/// The short label of a key among all the keys a sweep varies: its last segment
/// (abbreviated: fraction -> frac, learning rates -> lr, ...; `plugin` -> the section's name),
/// or more of the key where two keys would get the same label (adapter_dropout).
std::string key_label(const std::string& key, const std::vector<std::string>& all_keys);

/// A value as it appears in a name: 16, 0.1, 1e-05, socsci-chat, q_proj+v_proj.
std::string value_label(const Value& v);

/// "r16-frac0.1-split-condition": numbers glued to their label, strings and booleans after a
/// '-'. Characters that do not belong in a directory name become '_'. "base" when there are
/// no overrides.
std::string derive_name(const std::vector<Override>& overrides, const std::vector<std::string>& all_keys);

}  // namespace socrates::sweep
