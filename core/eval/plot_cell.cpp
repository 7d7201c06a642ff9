// plots/cell_best and plots/cell_worst: human vs predicted answer proportions of one cell.
#ifdef SOCRATES_HAVE_CAIRO

#include <algorithm>

#include <fmt/format.h>

#include "eval/plot_canvas.hpp"
#include "eval/plot_draw.hpp"

namespace socrates::plot {

void draw_cell_plot(const std::filesystem::path& stem, const CellPick& cell, const CellHistogram& h,
                    const std::string& which, const std::string& model_label) {
  const PlotSize size = kCellPlotSize;
  render(stem, size, [&](cairo_t* cr) {
    const double W = size.width, H = size.height;
    const Font tick_font{11, false, kSubtle};

    const std::string title = fmt::format("{} cell of {}: {} · condition {} · task {}", which, model_label,
                                          cell.study_id, cell.condition_num, cell.task_num);
    text(cr, W / 2, 24, fit_text(cr, title, {17, true}, W - 40), {17, true}, Align::center);
    std::string sub = fmt::format("W1 {:.3f} · {} human answers · {} {}", cell.w1, h.n_human, h.n_predicted,
                                  h.n_distributions > 0 ? "predicted distributions (their mixture)" : "predictions");
    if (h.n_parse_failed > 0) sub += fmt::format(" · {} unparsable", h.n_parse_failed);
    text(cr, W / 2, 46, sub, {12, false, kSubtle}, Align::center);
    legend(cr, W / 2, 70, {{"human answers", Mark::bar, kHuman}, {"predicted (" + model_label + ")", Mark::bar, kModel}});

    const double x0 = 76, x1 = W - 30, y0 = 96, y1 = H - 70;
    double hi = 0;
    for (double v : h.human) hi = std::max(hi, v);
    for (double v : h.predicted) hi = std::max(hi, v);
    const auto ticks = nice_ticks(hi > 0 ? hi * 1.04 : 1, 6);  // headroom above the tallest bar
    const double y_max = ticks.back(), step = ticks.size() > 1 ? ticks[1] - ticks[0] : y_max;
    auto Y = [&](double v) { return y1 - (y1 - y0) * std::clamp(v / y_max, 0.0, 1.0); };

    for (double t : ticks) {
      line(cr, x0, Y(t), x1, Y(t), kGrid);
      line(cr, x0 - 4, Y(t), x0, Y(t), kAxis);
      text(cr, x0 - 8, Y(t), tick_label(t, step), tick_font, Align::right);
    }
    text_vertical(cr, 22, (y0 + y1) / 2, "proportion of answers", {12, false, kText});

    const std::size_t n = h.labels.size();
    if (n == 0) {
      text(cr, (x0 + x1) / 2, (y0 + y1) / 2, "no answers in this cell", {13, false, kSubtle}, Align::center);
    } else {
      const double gw = (x1 - x0) / n;
      const double bw = std::min(gw * 0.38, 44.0);
      // Label every k-th group so that the labels never touch.
      double widest = 0;
      for (const auto& l : h.labels) widest = std::max(widest, text_width(cr, l, tick_font));
      const std::size_t every = std::max<std::size_t>(1, static_cast<std::size_t>((widest + 8) / gw) + 1);
      for (std::size_t i = 0; i < n; ++i) {
        const double xc = x0 + (i + 0.5) * gw;
        fill_rect(cr, xc - bw - 1, Y(h.human[i]), bw, y1 - Y(h.human[i]), kHuman);
        fill_rect(cr, xc + 1, Y(h.predicted[i]), bw, y1 - Y(h.predicted[i]), kModel);
        if (i % every == 0) {
          line(cr, xc, y1, xc, y1 + 4, kAxis);
          text(cr, xc, y1 + 15, h.labels[i], tick_font, Align::center);
        }
      }
    }
    line(cr, x0, y0, x0, y1, kAxis);
    line(cr, x0, y1, x1, y1, kAxis);
    text(cr, (x0 + x1) / 2, y1 + 42, "answer", {12, false, kText}, Align::center);
  });
}

}  // namespace socrates::plot

#endif  // SOCRATES_HAVE_CAIRO
