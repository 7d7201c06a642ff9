// The comparison table as Markdown (for people), CSV (for spreadsheets: one row per variant
// and one per run) and JSON (everything, for scripts).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "compare/compare_table.hpp"

namespace socrates::compare {

/// The Markdown table; the uniform and bootstrap references follow as a line when every
/// variant shares them, else as two more columns.
std::string table_markdown(const CompareTable& t);

/// One row per variant: name, the differing keys, runs, status, then <metric> and
/// <metric>_std for every metric.
std::string table_csv(const CompareTable& t);

/// One row per run: name, group, seed, status, run_dir, the differing keys, every metric.
std::string runs_csv(const CompareTable& t);

/// {"keys", "rows": [{"name", "overrides", "status", "metrics": {id: {"mean", "std", "n"}},
///  "runs": [{"name", "dir", "seed", "status", "error", "report", id: value...}]}]}.
nlohmann::ordered_json table_json(const CompareTable& t);

}  // namespace socrates::compare
