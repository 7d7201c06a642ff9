#include "eval/report_markdown.hpp"

#include <fmt/format.h>

#include "eval/report_overview.hpp"
#include "eval/report_table.hpp"

namespace socrates {

namespace {

/// Text safe inside a Markdown table cell.
std::string cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n') out += ' ';
    else out += c;
  }
  return out.empty() ? kMissing : out;
}

void runs_table(std::string& md, const EvalRun& model, const EvalRun* base) {
  md += "| run | mode | rows | predictions/s | seconds |\n|---|---|---:|---:|---:|\n";
  for (const EvalRun* r : {&model, base}) {
    if (!r) continue;
    const auto pps = r->predictions_per_second > 0 ? std::optional<double>(r->predictions_per_second) : std::nullopt;
    const auto secs = r->seconds > 0 ? std::optional<double>(r->seconds) : std::nullopt;
    md += fmt::format("| {} | {} | {} | {} | {} |\n", cell(r->label), cell(r->mode), r->rows.size(),
                      format_number(pps, 1), format_number(secs, 1));
  }
}

void overall_table(std::string& md, const EvalRun& model, const EvalRun* base) {
  md += "## Overall\n\n";
  md += "| | W1 (lower is better) | accuracy | demographic-parity gap | parse-failure rate | cells |\n";
  md += "|---|---:|---:|---:|---:|---:|\n";
  for (const auto& r : overview_rows(model, base)) {
    md += fmt::format("| {} | {} | {} | {} | {} | {} |\n", cell(r.name), format_number(r.w1),
                      format_number(r.accuracy), format_number(r.parity_gap),
                      format_percent(r.parse_failure_rate), format_count(r.cells));
  }
  md +=
      "\nW1 is the Wasserstein-1 distance between the human and the predicted answers of a cell "
      "(study, condition, task), normalised by the answer range and averaged over cells. "
      "*Uniform guess* spreads the predictions evenly over the answer range; the *human bootstrap "
      "bound* is the distance that resampled human answers reach, about the best a model can do "
      "with this many answers. — marks a value that was not computed (its evaluator was not "
      "configured).\n\n";
}

void study_table(std::string& md, const EvalRun& model, const EvalRun* base) {
  md += "## Per study\n\n";
  const auto rows = study_rows(model, base);
  if (rows.empty()) {
    md += "No per-study results: the `wasserstein` evaluator was not run.\n\n";
    return;
  }
  md += fmt::format("| study | cells | W1 {} |{} uniform | bootstrap |\n", cell(model.label),
                    base ? fmt::format(" W1 {} |", cell(base->label)) : "");
  md += base ? "|---|---:|---:|---:|---:|---:|\n" : "|---|---:|---:|---:|---:|\n";
  for (const auto& s : rows) {
    md += fmt::format("| {} | {} | {} |{} {} | {} |\n", cell(s.study_id), format_count(s.cells),
                      format_number(s.w1_model), base ? " " + format_number(s.w1_base) + " |" : "",
                      format_number(s.uniform), format_number(s.bootstrap));
  }
  md += "\n";
}

void plot_links(std::string& md, const std::vector<PlotFile>& plots) {
  md += "## Plots\n\n";
  if (plots.empty()) {
    md += "No plots: this build has no cairo (install `libcairo2-dev`, e.g. with "
          "`scripts/setup.sh`, and rebuild), or the `wasserstein` tables were absent.\n";
    return;
  }
  for (const auto& p : plots) {
    md += fmt::format("### {}\n\n![{}]({}) ([SVG]({}))\n\n", p.title, p.title, p.png.generic_string(),
                      p.svg.generic_string());
  }
}

}  // namespace

std::string report_markdown(const EvalRun& model, const EvalRun* base, const std::vector<PlotFile>& plots) {
  std::string md = base ? fmt::format("# Evaluation report: {} vs {}\n\n", model.label, base->label)
                        : fmt::format("# Evaluation report: {}\n\n", model.label);
  runs_table(md, model, base);
  md += "\n";
  overall_table(md, model, base);
  study_table(md, model, base);
  plot_links(md, plots);
  return md;
}

}  // namespace socrates
