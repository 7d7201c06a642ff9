// Drawing the comparison plots with cairo (only compiled with SOCRATES_HAVE_CAIRO).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "compare/compare_plots.hpp"

namespace socrates::compare::draw {

/// Horizontal bars of W1 per variant (mean, ± std, each seed as a dot), the base's W1 beside
/// it, and each variant's uniform (tick) and bootstrap (diamond) references.
void w1_per_variant(const std::filesystem::path& stem, const CompareTable& t);

/// Training loss (left) and validation loss (right) against the step, one colour per
/// variant (its seeds share it).
void loss_curves(const std::filesystem::path& stem, const CompareTable& t);

/// W1 (mean ± std) against `key`, one line per series, with the mean uniform and bootstrap
/// references as dashed lines; a log x axis when the values span 20x or more.
void w1_vs_axis(const std::filesystem::path& stem, const CompareTable& t, const std::string& key,
                const std::vector<AxisSeries>& series);

}  // namespace socrates::compare::draw
