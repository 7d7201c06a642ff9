// `socrates compare`: read the runs, build the table, write compare.{md,csv,json},
// runs.csv, the plots and report.md into one folder.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "eval/plot.hpp"

namespace socrates::compare {

struct CompareOptions {
  std::filesystem::path out;  // where to write; empty: <sweep dir>/compare for one sweep dir
  std::string axis;           // the key to plot W1 against; empty: the first numeric one
};

struct CompareResult {
  std::filesystem::path out;
  std::string table_markdown;  // what was printed
  std::vector<PlotFile> plots;
  std::size_t runs = 0, rows = 0;
};

/// Compares `inputs` (run directories and sweep directories). Throws socrates::Error for
/// an input that is neither, or when `out` cannot be chosen (several inputs and no --out).
CompareResult write_comparison(const std::vector<std::filesystem::path>& inputs, const CompareOptions& opts);

}  // namespace socrates::compare
