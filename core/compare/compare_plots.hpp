// The comparison plots (PNG + SVG through the report plots' cairo canvas): W1 per variant
// with the uniform and bootstrap references, the loss curves overlaid, and W1 against one
// numeric swept key. The data each shows is computed here without drawing.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "compare/compare_table.hpp"
#include "eval/plot.hpp"

namespace socrates::compare {

/// The key W1 is plotted against: `requested` (which must be a differing key with numbers
/// only; else ConfigError-like socrates::Error listing the candidates), or the first
/// differing key whose values are all numbers and that takes 2 or more values. nullopt: none.
std::optional<std::string> numeric_axis(const CompareTable& t, const std::string& requested);

struct AxisPoint {
  double x = 0;
  Stat w1;
};
struct AxisSeries {
  std::string label;  // the other differing keys' values ("r=16, split=task"), or "" alone
  std::vector<AxisPoint> points;  // by x
};

/// W1 against `key`: one series per combination of the other differing keys, leaving out
/// keys that vary with `key` (zipped with it), which would make every point a series.
std::vector<AxisSeries> axis_series(const CompareTable& t, const std::string& key);

/// Writes plots/w1_per_variant, plots/loss_curves and (with an axis) plots/w1_vs_<key> into
/// `out_dir`. Plots without data are skipped; nothing without cairo.
std::vector<PlotFile> write_compare_plots(const std::filesystem::path& out_dir, const CompareTable& t,
                                          const std::optional<std::string>& axis);

}  // namespace socrates::compare
