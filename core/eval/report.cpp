#include "eval/report.hpp"

#include <system_error>

#include <fmt/format.h>

#include "eval/plot.hpp"
#include "eval/report_json.hpp"
#include "eval/report_markdown.hpp"
#include "eval/report_overview.hpp"
#include "eval/report_table.hpp"
#include "log/logging.hpp"
#include "io/atomic_file.hpp"
#include "socrates/error.hpp"

namespace socrates {

namespace fs = std::filesystem;

void write_report(const fs::path& dir, const EvalRun& model, const EvalRun* base) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    throw Error("cannot create the report directory " + dir.string() + ": " + ec.message() +
                "; check that its parent exists and is writable");
  }
  std::vector<PlotFile> plots;
  if (plots_available()) {
    plots = write_plots(dir, model, base);
  } else {
    host_logger()->warn(
        "report: no plots in {}: this build has no cairo; install libcairo2-dev (scripts/setup.sh) "
        "and rebuild to get them",
        dir.string());
  }
  write_file_atomic(dir / "report.json", report_json(model, base, plots).dump(2) + "\n");
  write_file_atomic(dir / "report.md", report_markdown(model, base, plots));
}

std::string format_summary(const EvalRun& model, const EvalRun* base) {
  const auto rows = overview_rows(model, base);
  const OverviewRow& m = rows[0];
  const OverviewRow* b = base ? &rows[1] : nullptr;
  const auto uniform = rows[rows.size() - 2].w1, bootstrap = rows.back().w1;

  // "name: base X -> tuned Y" or "name: tuned Y".
  auto line = [&](const std::string& name, std::optional<double> OverviewRow::*field, auto format) {
    std::string s = name + ": ";
    if (b) s += fmt::format("{} {} -> ", b->name, format(b->*field));
    return s + fmt::format("{} {}", m.name, format(m.*field));
  };
  auto present = [&](std::optional<double> OverviewRow::*field) { return (m.*field) || (b && (b->*field)); };
  auto number = [](std::optional<double> x) { return format_number(x); };

  std::string out = line("W1 (lower is better)", &OverviewRow::w1, number);
  if (uniform || bootstrap) {
    out += fmt::format(" (uniform {}, bootstrap {})", format_number(uniform), format_number(bootstrap));
  }
  out += "\n";
  if (present(&OverviewRow::accuracy)) out += line("accuracy", &OverviewRow::accuracy, number) + "\n";
  if (present(&OverviewRow::parity_gap)) {
    out += line("demographic-parity gap", &OverviewRow::parity_gap, number) + "\n";
  }
  if (present(&OverviewRow::parse_failure_rate)) {
    out += line("parse failures", &OverviewRow::parse_failure_rate, format_percent) + "\n";
  }
  if (m.cells || model.predictions_per_second > 0) {
    std::string tail = m.cells ? format_count(m.cells) + " cells" : "";
    if (model.predictions_per_second > 0) {
      tail += fmt::format("{}{}: {} predictions/s", tail.empty() ? "" : " · ", m.name,
                          format_number(model.predictions_per_second, 1));
    }
    out += tail + "\n";
  }
  return out;
}

}  // namespace socrates
