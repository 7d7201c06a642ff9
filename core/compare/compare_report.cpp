#include "compare/compare_report.hpp"

#include <fmt/format.h>

#include "compare/compare_inputs.hpp"
#include "compare/compare_plots.hpp"
#include "compare/compare_table.hpp"
#include "compare/compare_write.hpp"
#include "io/atomic_file.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates::compare {

namespace {

fs::path choose_out(const std::vector<fs::path>& inputs, const CompareInputs& in, const CompareOptions& opts) {
  if (!opts.out.empty()) return fs::absolute(opts.out).lexically_normal();
  if (inputs.size() == 1 && in.sweep_dirs.size() == 1) return in.sweep_dirs.front() / "compare";
  throw Error("give --out DIR: the comparison of several directories has no folder of its own (one sweep "
              "directory alone writes into <sweep>/compare)");
}

std::string relative_link(const fs::path& target, const fs::path& from) {
  return fs::relative(target, from).generic_string();
}

std::string report_markdown(const fs::path& out, const CompareInputs& in, const CompareTable& t, const std::string& table_md,
                            const std::vector<PlotFile>& plots, const std::optional<std::string>& axis) {
  std::string md = "# Comparison";
  if (in.sweep_names.size() == 1) md += ": sweep " + in.sweep_names.front();
  md += "\n\n";
  md += fmt::format("{} runs in {} variants", in.runs.size(), t.rows.size());
  if (!t.keys.empty()) {
    std::string keys;
    for (const auto& k : t.keys) keys += (keys.empty() ? "`" : ", `") + k + "`";
    md += "; they differ in " + keys;
  }
  md += ". Metrics come from each run's final evaluation (`eval/final-<split>-<mode>/report.json`) and its "
        "`metrics.jsonl`; lower W1 is better.\n\n";
  md += "## Table\n\n" + table_md + "\n";
  md += "Also as [compare.csv](compare.csv) (one row per variant), [runs.csv](runs.csv) (one row per run) and "
        "[compare.json](compare.json).\n\n";
  md += "## Plots\n\n";
  if (plots.empty()) {
    md += plots_available() ? "No plot has data (no run has a final evaluation or a logged loss).\n\n"
                            : "This build has no plots (cairo was not found; install libcairo2-dev and rebuild).\n\n";
  }
  for (const PlotFile& p : plots) {
    md += "### " + p.title + "\n\n![" + p.title + "](" + p.png.generic_string() + ")\n\n[SVG](" +
          p.svg.generic_string() + ")\n\n";
  }
  if (!axis && !plots.empty()) md += "No key with numbers differs between the runs, so there is no W1-against-key plot.\n\n";
  md += "## Runs\n\n| run | status | report | directory |\n|:---|:---|:---|:---|\n";
  for (const Row& row : t.rows) {
    for (const RunRecord* r : row.runs) {
      const std::string report = r->report_dir.empty()
                                     ? std::string("—")
                                     : "[report.md](" + relative_link(r->report_dir / "report.md", out) + ")";
      std::string status = r->status;
      if (!r->error.empty()) {
        std::string e = r->error.substr(0, 200);
        for (char& c : e)
          if (c == '\n' || c == '|') c = ' ';
        status += ": " + e;
      }
      md += "| " + r->name + " | " + status + " | " + report + " | [" + r->dir.filename().string() + "](" +
            relative_link(r->dir, out) + ") |\n";
    }
  }
  return md;
}

}  // namespace

CompareResult write_comparison(const std::vector<fs::path>& inputs, const CompareOptions& opts) {
  const CompareInputs in = collect_runs(inputs);
  CompareResult res;
  res.out = choose_out(inputs, in, opts);
  const CompareTable t = build_table(in.runs);
  const std::optional<std::string> axis = numeric_axis(t, opts.axis);
  std::error_code ec;
  fs::create_directories(res.out, ec);
  if (ec) throw Error("cannot create " + res.out.string() + ": " + ec.message());
  res.table_markdown = table_markdown(t);
  res.plots = write_compare_plots(res.out, t, axis);
  nlohmann::ordered_json j = table_json(t);
  nlohmann::ordered_json plots = nlohmann::ordered_json::array();
  for (const PlotFile& p : res.plots) {
    plots.push_back({{"name", p.name}, {"title", p.title}, {"png", p.png.generic_string()}, {"svg", p.svg.generic_string()}});
  }
  j["axis"] = axis ? nlohmann::ordered_json(*axis) : nlohmann::ordered_json(nullptr);
  j["plots"] = std::move(plots);
  write_file_atomic(res.out / "compare.md", res.table_markdown);
  write_file_atomic(res.out / "compare.csv", table_csv(t));
  write_file_atomic(res.out / "runs.csv", runs_csv(t));
  write_file_atomic(res.out / "compare.json", j.dump(1) + "\n");
  write_file_atomic(res.out / "report.md", report_markdown(res.out, in, t, res.table_markdown, res.plots, axis));
  res.runs = in.runs.size();
  res.rows = t.rows.size();
  return res;
}

}  // namespace socrates::compare
