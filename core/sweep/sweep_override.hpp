// One typed `section.key = value` override of a sweep, with where it was written.
#pragma once

#include <filesystem>
#include <string>

#include "socrates/value.hpp"

namespace socrates::sweep {

struct Override {
  std::string key;              // "adapter.r", "evaluators[1].min_humans"
  Value value;                  // typed: 16, 0.1, "socsci-chat", ["q_proj", "v_proj"]
  std::string origin;           // "lora-rank.toml:12:1", "--grid 'adapter.r=[16,32]'", "--set"
  std::filesystem::path dir;    // relative path values resolve against it (empty: working directory)

  /// "adapter.r=16": the --set form, with the value written as TOML.
  std::string text() const;
};

}  // namespace socrates::sweep
