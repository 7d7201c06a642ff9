// plots/per_study_w1: horizontal bars of W1 per study, base vs model, with markers.
#include "eval/plot.hpp"

#ifdef SOCRATES_HAVE_CAIRO
#include <algorithm>

#include <fmt/format.h>

#include "eval/plot_canvas.hpp"
#include "eval/plot_draw.hpp"
#endif

namespace socrates {

namespace {

// Layout (pixels): title, subtitle and legend above the bars; ticks and axis label below.
constexpr int kWidth = 1000, kTop = 96, kBottom = 64;
constexpr int row_height(bool with_base) { return with_base ? 30 : 22; }

}  // namespace

PlotSize per_study_plot_size(std::size_t n_studies, bool with_base) {
  return {kWidth, kTop + static_cast<int>(n_studies) * row_height(with_base) + kBottom};
}

#ifdef SOCRATES_HAVE_CAIRO
namespace plot {

void draw_study_plot(const std::filesystem::path& stem, const std::vector<StudyRow>& studies,
                     const std::string& model_label, const std::string& base_label) {
  const bool with_base = !base_label.empty();
  const PlotSize size = per_study_plot_size(studies.size(), with_base);
  render(stem, size, [&](cairo_t* cr) {
    const Font label_font{12, false, kText}, tick_font{11, false, kSubtle};
    const double row = row_height(with_base);

    // Title, subtitle, legend.
    const std::string title = with_base ? fmt::format("W1 per study: {} vs {}", base_label, model_label)
                                        : fmt::format("W1 per study: {}", model_label);
    text(cr, kWidth / 2.0, 24, fit_text(cr, title, {17, true}, kWidth - 40), {17, true}, Align::center);
    text(cr, kWidth / 2.0, 46,
         "Wasserstein-1 distance between human and predicted answers, mean over the study's cells",
         {12, false, kSubtle}, Align::center);
    std::vector<LegendItem> items;
    if (with_base) items.push_back({base_label, Mark::bar, kBase});
    items.push_back({model_label, Mark::bar, kModel});
    items.push_back({"uniform guess", Mark::tick, kUniform});
    items.push_back({"human bootstrap bound", Mark::diamond, kBootstrap});
    legend(cr, kWidth / 2.0, 70, items);

    // Plot area: the left margin fits the longest study id (up to a limit).
    double label_w = 40;
    for (const auto& s : studies) label_w = std::max(label_w, text_width(cr, s.study_id, label_font));
    label_w = std::min(label_w, 240.0);
    const double x0 = 16 + label_w + 10, x1 = kWidth - 40;
    const double y0 = kTop, y1 = kTop + studies.size() * row;

    double hi = 0;
    for (const auto& s : studies) {
      for (const auto& v : {s.w1_model, s.w1_base, s.uniform, s.bootstrap}) {
        if (v) hi = std::max(hi, *v);
      }
    }
    const auto ticks = nice_ticks(hi > 0 ? hi * 1.02 : 1, 8);
    const double x_max = ticks.back(), step = ticks.size() > 1 ? ticks[1] - ticks[0] : x_max;
    auto X = [&](double v) { return x0 + (x1 - x0) * std::clamp(v / x_max, 0.0, 1.0); };

    for (std::size_t i = 0; i < studies.size(); i += 2) fill_rect(cr, x0, y0 + i * row, x1 - x0, row, kStripe);
    for (double t : ticks) {
      line(cr, X(t), y0, X(t), y1, kGrid);
      line(cr, X(t), y1, X(t), y1 + 4, kAxis);
      text(cr, X(t), y1 + 15, tick_label(t, step), tick_font, Align::center);
    }

    for (std::size_t i = 0; i < studies.size(); ++i) {
      const StudyRow& s = studies[i];
      const double yc = y0 + (i + 0.5) * row;
      text(cr, x0 - 10, yc, fit_text(cr, s.study_id, label_font, label_w), label_font, Align::right);
      const double bh = with_base ? 10 : 12;
      if (with_base && s.w1_base) fill_rect(cr, x0, yc - bh - 1, X(*s.w1_base) - x0, bh, kBase);
      if (s.w1_model) fill_rect(cr, x0, with_base ? yc + 1 : yc - bh / 2, X(*s.w1_model) - x0, bh, kModel);
      if (s.uniform) line(cr, X(*s.uniform), yc - row * 0.42, X(*s.uniform), yc + row * 0.42, kUniform, 2.5);
      if (s.bootstrap) diamond(cr, X(*s.bootstrap), yc, 5.5, kBootstrap);
    }

    line(cr, x0, y0, x0, y1, kAxis);
    line(cr, x0, y1, x1, y1, kAxis);
    text(cr, (x0 + x1) / 2, y1 + 40, "W1 (range-normalised; lower is better)", {12, false, kText}, Align::center);
  });
}

}  // namespace plot
#endif  // SOCRATES_HAVE_CAIRO

}  // namespace socrates
