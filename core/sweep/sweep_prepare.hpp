// Turning a SweepSpec into validated variants: expand, add the seeds, resolve and check
// every variant's experiment before anything runs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/experiment.hpp"
#include "sweep/sweep_spec.hpp"
#include "sweep/sweep_state.hpp"

namespace socrates::sweep {

struct PreparedVariant {
  std::string name, group;
  std::optional<std::int64_t> seed;
  std::vector<Override> overrides;  // the variant's own (not the common ones)
  Experiment experiment;            // resolved with run.name = name, run.output_dir = the sweep dir
};

/// Where the sweep's runs go: [sweep] output_dir, else the base experiment's [run] output_dir.
std::filesystem::path sweep_output_dir(const SweepSpec& spec, PluginCatalog& catalog);

/// Every variant (times the seeds), resolved as if the sweep lived in `sweep_dir`. Throws
/// the first ConfigError, naming the file:line and the variant.
std::vector<PreparedVariant> prepare_variants(const SweepSpec& spec, const std::filesystem::path& sweep_dir,
                                              PluginCatalog& catalog);

/// <output_dir>/<name>-<UTC time>[-N]: the first such folder that does not exist yet
/// (nothing is created).
std::filesystem::path next_sweep_dir(const std::filesystem::path& output_dir, const std::string& name);

/// Creates `dir` (and its parents); false when it exists already (taken by another sweep).
bool claim_sweep_dir(const std::filesystem::path& dir);

/// Writes each variant's run directory with its config.resolved.toml and sweep.json (all
/// pending). Returns the state.
SweepState write_sweep(const SweepSpec& spec, const std::filesystem::path& sweep_dir,
                       const std::vector<PreparedVariant>& variants, const std::vector<std::string>& command);

/// Optimizer steps the variant will train: [training] max_steps, else epochs x the training
/// rows / global batch (the dataset is read to count its rows; rows the tokenizer later drops
/// as too long are still counted).
std::int64_t estimate_steps(const Experiment& exp);

}  // namespace socrates::sweep
