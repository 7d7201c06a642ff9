// Creating the components an experiment selects, through their plugins.
#pragma once

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/experiment.hpp"
#include "plugin/plugin_library.hpp"
#include "socrates/plugin.hpp"

namespace socrates {

/// The context for `use`: the host logger and services, [run] device and seed, the
/// launcher's RANK/WORLD_SIZE/LOCAL_RANK, `run_dir` (empty when only validating) and the
/// plugin's section.
PluginContext make_context(const RunSettings& run, const PluginUse& use, const std::filesystem::path& run_dir);
PluginContext make_context(const Experiment& exp, const PluginUse& use, const std::filesystem::path& run_dir);

/// A context for creating a plugin outside an experiment (tests, tools): the host logger and
/// services, CPU, the given seed, and `cfg` with every option the descriptor defaults filled in.
PluginContext standalone_context(const PluginLibrary& lib, const std::string& section, Table cfg,
                                 std::uint64_t seed = 0);

/// Creates the component of `use` through its own concern, as a Component.
std::shared_ptr<Component> instantiate(const PluginUse& use, const PluginContext& ctx);

/// The component of `slot` ("dataset", "adapter", ...), created through its plugin.
/// Throws ConfigError if the experiment has no such section and `required`.
template <class Interface>
std::shared_ptr<Interface> make_component(const Experiment& exp, const std::string& slot,
                                          const std::filesystem::path& run_dir, bool required = true) {
  auto uses = exp.plugins_in(slot);
  if (uses.empty()) {
    if (!required) return nullptr;
    throw ConfigError(exp.source().file().string() + ": this command needs a [" + slot + "] section with a " +
                      Interface::kConcern + " plugin");
  }
  return uses.front()->library->template create<Interface>(make_context(exp.settings().run, *uses.front(), run_dir));
}

/// Every component of a multiple slot ("evaluators"), named by plugin; a repeated plugin
/// gets "#2", "#3".
template <class Interface>
std::vector<std::pair<std::string, std::shared_ptr<Interface>>> make_components(const Experiment& exp,
                                                                               const std::string& slot,
                                                                               const std::filesystem::path& run_dir) {
  std::vector<std::pair<std::string, std::shared_ptr<Interface>>> out;
  std::vector<std::string> seen;
  for (const PluginUse* use : exp.plugins_in(slot)) {
    seen.push_back(use->name);
    const auto k = std::count(seen.begin(), seen.end(), use->name);
    out.emplace_back(k == 1 ? use->name : use->name + "#" + std::to_string(k),
                     use->library->template create<Interface>(make_context(exp.settings().run, *use, run_dir)));
  }
  return out;
}

}  // namespace socrates
