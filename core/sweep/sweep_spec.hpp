// What a sweep is: a base experiment, overrides every variant shares, grid axes (the
// Cartesian product), zipped axes (values that vary together) and explicit variants. Read
// from a sweep file's [sweep] section or built from `--grid`/`--zip` arguments.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "sweep/sweep_override.hpp"

namespace socrates::sweep {

/// One swept key and its values, in order.
struct Axis {
  std::string key;
  std::vector<Value> values;
  std::string origin;  // where the axis was written
  std::filesystem::path dir;
};

/// A variant written out in [[sweep.variants]].
struct ExplicitVariant {
  std::string name;  // empty: derived from the overrides
  std::string origin;
  std::vector<Override> overrides;
};

struct SweepSpec {
  std::filesystem::path file;  // the sweep file (or the experiment, for --grid sweeps)
  std::string name;            // runs/<name>-<time>/
  std::filesystem::path base;  // the experiment every variant starts from
  std::string base_origin;     // where `base` was set
  std::optional<std::filesystem::path> output_dir;  // default: the base's [run] output_dir
  int seeds = 1;               // runs per variant, seeds [run] seed, seed + 1, ...
  std::vector<Override> common;  // [sweep.set], then --set
  std::vector<Axis> grid, zip;
  std::vector<ExplicitVariant> variants;
};

/// True when `file` parses as TOML and has a top-level [sweep] table.
bool has_sweep_section(const std::filesystem::path& file);

/// Reads a sweep file. Throws ConfigError with file:line:col for malformed TOML, unknown
/// keys of [sweep] (with "did you mean"), axes that are not non-empty arrays, and so on. A
/// missing base is reported when the sweep is prepared (--base may give it).
SweepSpec read_sweep_file(const std::filesystem::path& file);

/// A sweep over an ordinary experiment file: base = `experiment`, named after its stem; the
/// axes come from the command line.
SweepSpec sweep_of_experiment(const std::filesystem::path& experiment);

/// `adapter.r=[16,32]` from `--grid` or `--zip` (`flag`): the value must be a TOML array.
Axis parse_axis_argument(const std::string& flag, const std::string& text);

/// `training.max_steps=20` from `--set` (the value is TOML, else a bare string).
Override parse_set_argument(const std::string& text);

/// Checks the whole spec: zipped axes of equal length, no key both swept and fixed or swept
/// twice, keys the sweep sets itself (run.name, run.output_dir; run.seed with seeds > 1)
/// not swept, at least one variant. Throws ConfigError naming where.
void check_spec(const SweepSpec& spec);

}  // namespace socrates::sweep
