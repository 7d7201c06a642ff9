// The comparison table: one row per variant (runs that differ only in run.seed together,
// as mean ± standard deviation), the overrides that differ, and the metric columns.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compare/run_record.hpp"

namespace socrates::compare {

struct Stat {
  std::optional<double> mean, std;  // std: sample standard deviation, with 2 or more values
  int n = 0;                        // runs that have the value
};

/// A metric column: id (CSV/JSON), title (Markdown), and how to read it from a run.
struct Metric {
  const char* id;
  const char* title;
  std::optional<double> RunRecord::*field;
  int decimals;
};

/// W1, accuracy, parity gap, parse failures, base W1, train loss, val loss, tokens/s,
/// wall time, peak memory, uniform and bootstrap W1: in the order of MetricIndex.
const std::vector<Metric>& metrics();
enum MetricIndex : std::size_t {
  kW1, kAccuracy, kParityGap, kParseFailures, kBaseW1, kTrainLoss, kValLoss, kTokensPerSecond, kWallSeconds,
  kPeakMem, kUniformW1, kBootstrapW1
};

struct Row {
  std::string name;                 // the variant
  std::vector<std::string> values;  // of the differing keys, as displayed
  std::vector<const RunRecord*> runs;
  std::vector<Stat> stats;          // one per metrics() entry
  std::string status;               // "finished", or e.g. "2 finished, 1 failed"
};

struct CompareTable {
  std::vector<std::string> keys;  // the overrides that differ between the runs (not run.seed)
  std::vector<Row> rows;
  bool with_seeds = false;        // some row has more than one run
};

/// The keys whose values differ between `runs`: among what their sweeps varied when every
/// run comes from a sweep, else among every key of the resolved experiments (not run.name,
/// run.output_dir, run.seed).
std::vector<std::string> differing_keys(const std::vector<RunRecord>& runs);

CompareTable build_table(const std::vector<RunRecord>& runs);

/// "0.183", "0.183 ± 0.004", "—"; `decimals` digits after the point.
std::string format_stat(const Stat& s, int decimals);

}  // namespace socrates::compare
