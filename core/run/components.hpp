// Creating the components an experiment selects.
#pragma once

#include <filesystem>
#include <memory>

#include "config/experiment.hpp"
#include "plugin/plugin_library.hpp"
#include "socrates/plugin.hpp"

namespace socrates {

/// The context for `use`: the host logger, [run] device and seed, the launcher's
/// RANK/WORLD_SIZE/LOCAL_RANK, `run_dir` (empty when only validating) and the plugin's section.
PluginContext make_context(const Experiment& exp, const PluginUse& use, const std::filesystem::path& run_dir);

/// A context for creating a plugin outside an experiment (tests, tools): the host logger and
/// services, CPU, the given seed, and `cfg` with every option the descriptor defaults filled in.
PluginContext standalone_context(const PluginLibrary& lib, const std::string& section, Table cfg,
                                 std::uint64_t seed = 0);

/// Creates the component of `use` through its concern interface, as a Component.
std::shared_ptr<Component> instantiate(const PluginUse& use, const PluginContext& ctx);

}  // namespace socrates
