// Report plots, drawn with cairo as PNG and SVG (when the build has cairo; see
// plots_available()). Files go to <report dir>/plots/.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "eval/eval_run.hpp"

namespace socrates {

struct PlotFile {
  std::string name;   // "per_study_w1", "cell_best", "cell_worst"
  std::string title;  // what it shows, for report.md
  std::filesystem::path png, svg;  // relative to the report directory
};

/// True when this build draws plots (it was built with cairo, Debian libcairo2-dev).
bool plots_available();

/// Draws plots/per_study_w1 (base vs model W1 per study with the uniform and bootstrap
/// values) and plots/cell_best, plots/cell_worst (human vs predicted answers in the model's
/// best and worst cell), each as .png and .svg, into `dir`. Plots whose table is absent are
/// skipped. Returns what was written; nothing without cairo. Throws socrates::Error naming
/// the file when one cannot be written.
std::vector<PlotFile> write_plots(const std::filesystem::path& dir, const EvalRun& model, const EvalRun* base);

struct PlotSize {
  int width = 0, height = 0;  // PNG pixels (SVG points)
};

/// The per-study plot grows with the number of studies.
PlotSize per_study_plot_size(std::size_t n_studies, bool with_base);
inline constexpr PlotSize kCellPlotSize{900, 540};

}  // namespace socrates
