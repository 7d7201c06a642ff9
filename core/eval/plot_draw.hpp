// The three report plots, drawn with cairo (only compiled with SOCRATES_HAVE_CAIRO).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "eval/plot_data.hpp"
#include "eval/report_overview.hpp"

namespace socrates::plot {

/// Bars of W1 per study (base and model, or the model alone when `base_label` is empty)
/// with each study's uniform and bootstrap values as markers; writes <stem>.png/.svg.
void draw_study_plot(const std::filesystem::path& stem, const std::vector<StudyRow>& studies,
                     const std::string& model_label, const std::string& base_label);

/// Human vs predicted answer proportions of one cell; `which` is "Best" or "Worst".
void draw_cell_plot(const std::filesystem::path& stem, const CellPick& cell, const CellHistogram& h,
                    const std::string& which, const std::string& model_label);

}  // namespace socrates::plot
