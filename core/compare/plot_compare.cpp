// Which comparison plots to draw (only with cairo).
#include "compare/compare_plots.hpp"

#ifdef SOCRATES_HAVE_CAIRO
#include "compare/plot_compare_draw.hpp"
#endif

namespace socrates::compare {

namespace fs = std::filesystem;

std::vector<PlotFile> write_compare_plots(const fs::path& out_dir, const CompareTable& t,
                                          const std::optional<std::string>& axis) {
  std::vector<PlotFile> files;
#ifdef SOCRATES_HAVE_CAIRO
  auto file = [&](const std::string& name, const std::string& title) {
    files.push_back(PlotFile{name, title, fs::path("plots") / (name + ".png"), fs::path("plots") / (name + ".svg")});
    return out_dir / "plots" / name;
  };
  bool any_w1 = false, any_curve = false;
  for (const Row& r : t.rows) {
    any_w1 = any_w1 || r.stats[kW1].mean.has_value();
    for (const RunRecord* run : r.runs) any_curve = any_curve || !run->train_curve.steps.empty();
  }
  if (any_w1) draw::w1_per_variant(file("w1_per_variant", "W1 per variant"), t);
  if (any_curve) draw::loss_curves(file("loss_curves", "Loss curves"), t);
  if (axis && any_w1) {
    std::string safe;
    for (char c : *axis) safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
    draw::w1_vs_axis(file("w1_vs_" + safe, "W1 against " + *axis), t, *axis, axis_series(t, *axis));
  }
#else
  (void)out_dir, (void)t, (void)axis;
#endif
  return files;
}

}  // namespace socrates::compare
