// report.md: the overall comparison, the per-study table and links to the plots.
#pragma once

#include <string>
#include <vector>

#include "eval/eval_run.hpp"
#include "eval/plot.hpp"

namespace socrates {

/// The Markdown report. Absent values are "—"; `plots` are linked (none: a note says why).
std::string report_markdown(const EvalRun& model, const EvalRun* base, const std::vector<PlotFile>& plots);

}  // namespace socrates
