// The one table of plugin concerns: the concern name a descriptor carries, where an
// experiment selects it, and the plugin used when the experiment names none.
#pragma once

#include <string>
#include <vector>

namespace socrates {

struct ConcernSpec {
  std::string concern;         // "adapter", as in the descriptor and Interface::kConcern
  std::string slot;            // where the experiment selects it: "adapter", "checkpoint.sinks"
  bool multiple = false;       // an array of tables ([[evaluators]])
  std::string default_plugin;  // used when the slot is absent ("" = none)
};

/// Every concern, in the order the resolved config lists them.
const std::vector<ConcernSpec>& concerns();

/// The spec of `concern`, or nullptr.
const ConcernSpec* find_concern(const std::string& concern);

/// The concern names, in table order.
std::vector<std::string> concern_names();

}  // namespace socrates
