// What `socrates compare` knows about one run directory, read from the files every run
// writes: config.resolved.toml, metrics.jsonl and the final evaluation's report.json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "socrates/value.hpp"

namespace socrates::compare {

struct Curve {
  std::vector<double> steps, values;
};

struct RunRecord {
  std::string name;   // the variant's name, or the run directory's
  std::string group;  // a sweep variant without its seed; empty outside sweeps (grouped by values)
  std::filesystem::path dir;
  std::optional<std::int64_t> seed;
  std::map<std::string, Value> config;  // the resolved experiment, flattened: "adapter.r" -> 16
  std::vector<std::string> swept;       // keys its sweep varied (empty outside a sweep)
  std::string status;  // the sweep's status, else "finished" (it has an adapter) or "incomplete"
  std::string error;

  // The final evaluation (eval/final-<split>-<mode>/report.json).
  std::filesystem::path report_dir;  // empty: none
  std::optional<double> w1, accuracy, parity_gap, parse_failure_rate, w1_base, w1_uniform, w1_bootstrap;

  // metrics.jsonl
  std::optional<double> train_loss;         // at the last logged step
  std::optional<double> val_loss;           // at the last evaluation
  std::optional<double> tokens_per_second;  // mean over the logged training windows
  std::optional<double> peak_mem_gib;       // GPU peak (metrics), else the sweep's max resident set
  std::optional<double> wall_seconds;       // the sweep's wall time, else the span of metrics.jsonl
  Curve train_curve, val_curve;
};

/// The resolved experiment of `dir` as dotted keys ("evaluators[0].plugin").
std::map<std::string, Value> flatten_config(const std::filesystem::path& config_toml);

/// Reads a run directory. Throws socrates::Error when `dir` has no config.resolved.toml or a
/// file is malformed (naming it); absent files leave their values empty.
RunRecord read_run(const std::filesystem::path& dir);

/// A value as a table cell: strings without quotes, everything else as TOML.
std::string display_value(const Value& v);

}  // namespace socrates::compare
