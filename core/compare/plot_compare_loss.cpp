// plots/loss_curves: training and validation loss against the step, every run overlaid.
#ifdef SOCRATES_HAVE_CAIRO
#include <algorithm>

#include "compare/plot_compare_draw.hpp"
#include "compare/plot_compare_style.hpp"
#include "eval/plot_data.hpp"

namespace socrates::compare::draw {

using namespace socrates::plot;

namespace {

struct Panel {
  double x0, y0, x1, y1;
};

// Axes, grid and ticks of one panel over [0, x_hi] x [0, y_hi]; returns the ticks' maxima.
std::pair<double, double> frame(cairo_t* cr, const Panel& p, double x_hi, double y_hi, const std::string& title) {
  const Font tick_font{11, false, kSubtle};
  const auto xt = nice_ticks(x_hi > 0 ? x_hi : 1, 6), yt = nice_ticks(y_hi > 0 ? y_hi * 1.02 : 1, 6);
  const double xm = xt.back(), ym = yt.back();
  const double xs = xt.size() > 1 ? xt[1] - xt[0] : xm, ys = yt.size() > 1 ? yt[1] - yt[0] : ym;
  for (double t : yt) {
    const double y = p.y1 - (p.y1 - p.y0) * t / ym;
    line(cr, p.x0, y, p.x1, y, kGrid);
    text(cr, p.x0 - 6, y, tick_label(t, ys), tick_font, Align::right);
  }
  for (double t : xt) {
    const double x = p.x0 + (p.x1 - p.x0) * t / xm;
    line(cr, x, p.y1, x, p.y1 + 4, kAxis);
    text(cr, x, p.y1 + 15, tick_label(t, xs), tick_font, Align::center);
  }
  line(cr, p.x0, p.y0, p.x0, p.y1, kAxis);
  line(cr, p.x0, p.y1, p.x1, p.y1, kAxis);
  text(cr, (p.x0 + p.x1) / 2, p.y0 - 14, title, {13, true}, Align::center);
  text(cr, (p.x0 + p.x1) / 2, p.y1 + 36, "optimizer step", {12, false, kText}, Align::center);
  return {xm, ym};
}

void curve(cairo_t* cr, const Panel& p, double xm, double ym, const Curve& c, Rgb color, bool markers) {
  if (c.steps.empty()) return;
  auto X = [&](double v) { return p.x0 + (p.x1 - p.x0) * std::clamp(v / xm, 0.0, 1.0); };
  auto Y = [&](double v) { return p.y1 - (p.y1 - p.y0) * std::clamp(v / ym, 0.0, 1.0); };
  set_color(cr, color);
  cairo_set_line_width(cr, 1.6);
  cairo_new_path(cr);
  for (std::size_t i = 0; i < c.steps.size(); ++i) {
    if (i == 0) {
      cairo_move_to(cr, X(c.steps[i]), Y(c.values[i]));
    } else {
      cairo_line_to(cr, X(c.steps[i]), Y(c.values[i]));
    }
  }
  cairo_stroke(cr);
  if (markers || c.steps.size() == 1) {
    for (std::size_t i = 0; i < c.steps.size(); ++i) dot(cr, X(c.steps[i]), Y(c.values[i]), 2.8, color);
  }
}

}  // namespace

void loss_curves(const std::filesystem::path& stem, const CompareTable& t) {
  constexpr int kWidth = 1100;
  constexpr std::size_t kPerRow = 4;
  const std::size_t legend_n = legend_row_count(t.rows.size(), kPerRow);
  const PlotSize size{kWidth, 540 + static_cast<int>(legend_n) * 20};
  double x_hi = 0, train_hi = 0, val_hi = 0;
  for (const Row& r : t.rows) {
    for (const RunRecord* run : r.runs) {
      for (double s : run->train_curve.steps) x_hi = std::max(x_hi, s);
      for (double s : run->val_curve.steps) x_hi = std::max(x_hi, s);
      for (double v : run->train_curve.values) train_hi = std::max(train_hi, v);
      for (double v : run->val_curve.values) val_hi = std::max(val_hi, v);
    }
  }
  render(stem, size, [&](cairo_t* cr) {
    text(cr, kWidth / 2.0, 24, "Loss curves", {17, true}, Align::center);
    text(cr, kWidth / 2.0, 46, "training loss at each logged step, validation loss at each evaluation; one colour per variant",
         {12, false, kSubtle}, Align::center);
    const Panel left{70, 96, kWidth / 2.0 - 30, 440}, right{kWidth / 2.0 + 50, 96, kWidth - 30.0, 440};
    const auto [lxm, lym] = frame(cr, left, x_hi, train_hi, "training loss");
    const auto [rxm, rym] = frame(cr, right, x_hi, val_hi, "validation loss");
    std::vector<LegendItem> items;
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
      const Rgb c = variant_color(i);
      for (const RunRecord* run : t.rows[i].runs) {
        curve(cr, left, lxm, lym, run->train_curve, c, false);
        curve(cr, right, rxm, rym, run->val_curve, c, true);
      }
      items.push_back({t.rows[i].name, Mark::bar, c});
    }
    if (val_hi <= 0) text(cr, (right.x0 + right.x1) / 2, (right.y0 + right.y1) / 2, "no validation loss logged",
                          {12, false, kSubtle}, Align::center);
    legend_rows(cr, kWidth / 2.0, 510, items, kPerRow);
  });
}

}  // namespace socrates::compare::draw
#endif  // SOCRATES_HAVE_CAIRO
