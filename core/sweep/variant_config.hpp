// One variant's experiment: the base file, the common overrides, the variant's own, then
// what the sweep sets (run.name, run.output_dir, run.seed), resolved and checked like
// `socrates validate` does. Errors point at the line of the sweep file that set the value.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/experiment.hpp"
#include "sweep/sweep_override.hpp"

namespace socrates::sweep {

struct VariantInput {
  std::string name;                 // for error messages
  std::filesystem::path base;       // the base experiment file
  std::vector<Override> overrides;  // common, then the variant's, then the sweep's own
};

/// Loads and validates the variant's experiment, and creates each selected component once
/// so that plugins can reject bad values. A ConfigError keeps its file:line and gains a line
/// naming the variant.
Experiment resolve_variant(const VariantInput& in, PluginCatalog& catalog);

/// Rewrites <run_dir>/config.resolved.toml with [run] device = `device` (re-resolved, so the
/// file stays a complete experiment). Nothing happens when it already says so.
void set_run_device(const std::filesystem::path& run_dir, const std::string& device, PluginCatalog& catalog);

}  // namespace socrates::sweep
