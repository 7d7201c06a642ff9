#include "eval/plot.hpp"

#include "eval/plot_data.hpp"
#include "eval/report_overview.hpp"
#ifdef SOCRATES_HAVE_CAIRO
#include "eval/plot_draw.hpp"
#endif

namespace socrates {

namespace fs = std::filesystem;

bool plots_available() {
#ifdef SOCRATES_HAVE_CAIRO
  return true;
#else
  return false;
#endif
}

std::vector<PlotFile> write_plots(const fs::path& dir, const EvalRun& model, const EvalRun* base) {
  std::vector<PlotFile> files;
#ifdef SOCRATES_HAVE_CAIRO
  auto file = [&](const std::string& name, const std::string& title) {
    PlotFile f{name, title, fs::path("plots") / (name + ".png"), fs::path("plots") / (name + ".svg")};
    files.push_back(f);
    return dir / "plots" / name;
  };
  if (const auto studies = study_rows(model, base); !studies.empty()) {
    const std::string title = base ? "W1 per study: " + base->label + " vs " + model.label : "W1 per study";
    plot::draw_study_plot(file("per_study_w1", title), studies, model.label, base ? base->label : "");
  }
  if (const auto picks = pick_cells(model)) {
    plot::draw_cell_plot(file("cell_best", "Best cell of " + model.label), picks->best,
                         cell_histogram(model, picks->best), "Best", model.label);
    plot::draw_cell_plot(file("cell_worst", "Worst cell of " + model.label), picks->worst,
                         cell_histogram(model, picks->worst), "Worst", model.label);
  }
#else
  (void)dir, (void)model, (void)base;
#endif
  return files;
}

}  // namespace socrates
