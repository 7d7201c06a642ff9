// plots/w1_vs_<key>: W1 against one numeric swept key, with the references.
#ifdef SOCRATES_HAVE_CAIRO
#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "compare/plot_compare_draw.hpp"
#include "compare/plot_compare_style.hpp"
#include "eval/plot_data.hpp"

namespace socrates::compare::draw {

using namespace socrates::plot;

void w1_vs_axis(const std::filesystem::path& stem, const CompareTable& t, const std::string& key,
                const std::vector<AxisSeries>& series) {
  constexpr int kWidth = 900;
  constexpr std::size_t kPerRow = 3;
  std::vector<LegendItem> items;
  for (std::size_t i = 0; i < series.size(); ++i)
    items.push_back({series[i].label.empty() ? "tuned" : series[i].label, Mark::bar, variant_color(i)});
  items.push_back({"uniform guess", Mark::tick, kUniform});
  items.push_back({"human bootstrap bound", Mark::tick, kBootstrap});
  const std::size_t legend_n = legend_row_count(items.size(), kPerRow);
  const PlotSize size{kWidth, 520 + static_cast<int>(legend_n) * 20};

  std::set<double> xs;
  double hi = 0;
  for (const AxisSeries& s : series) {
    for (const AxisPoint& p : s.points) {
      xs.insert(p.x);
      hi = std::max(hi, *p.w1.mean + p.w1.std.value_or(0));
    }
  }
  // The references: their mean over the variants (they describe the human data).
  double u_sum = 0, b_sum = 0;
  int u_n = 0, b_n = 0;
  for (const Row& r : t.rows) {
    if (r.stats[kUniformW1].mean) u_sum += *r.stats[kUniformW1].mean, ++u_n;
    if (r.stats[kBootstrapW1].mean) b_sum += *r.stats[kBootstrapW1].mean, ++b_n;
  }
  const std::optional<double> uniform = u_n ? std::optional<double>(u_sum / u_n) : std::nullopt;
  const std::optional<double> bootstrap = b_n ? std::optional<double>(b_sum / b_n) : std::nullopt;
  if (uniform) hi = std::max(hi, *uniform);
  if (bootstrap) hi = std::max(hi, *bootstrap);
  const bool log_x = !xs.empty() && *xs.begin() > 0 && *xs.rbegin() / *xs.begin() >= 20;

  render(stem, size, [&](cairo_t* cr) {
    const Font tick_font{11, false, kSubtle};
    text(cr, kWidth / 2.0, 24, "W1 against " + key, {17, true}, Align::center);
    text(cr, kWidth / 2.0, 46,
         std::string("final Wasserstein-1 on the test split") + (t.with_seeds ? ", mean ± std over seeds" : "") +
             (log_x ? "; log scale" : ""),
         {12, false, kSubtle}, Align::center);
    const double x0 = 80, x1 = kWidth - 50, y0 = 80, y1 = 420;
    const double lo = xs.empty() ? 0 : *xs.begin(), top = xs.empty() ? 1 : *xs.rbegin();
    auto fx = [&](double v) { return log_x ? std::log10(v) : v; };
    const double a = fx(lo), b = fx(top), pad = (b - a) * 0.06 + (b == a ? 1 : 0);
    auto X = [&](double v) { return x0 + (x1 - x0) * (fx(v) - (a - pad)) / ((b + pad) - (a - pad)); };
    const auto yt = nice_ticks(hi > 0 ? hi * 1.05 : 1, 6);
    const double ym = yt.back(), ys = yt.size() > 1 ? yt[1] - yt[0] : ym;
    auto Y = [&](double v) { return y1 - (y1 - y0) * std::clamp(v / ym, 0.0, 1.0); };
    for (double tk : yt) {
      line(cr, x0, Y(tk), x1, Y(tk), kGrid);
      text(cr, x0 - 6, Y(tk), tick_label(tk, ys), tick_font, Align::right);
    }
    for (double x : xs) {
      line(cr, X(x), y0, X(x), y1, kGrid);
      line(cr, X(x), y1, X(x), y1 + 4, kAxis);
      text(cr, X(x), y1 + 15, fmt::format("{:g}", x), tick_font, Align::center);
    }
    if (uniform) {
      dashed(cr, x0, Y(*uniform), x1, Y(*uniform), kUniform);
      // The uniform label above its line, the bootstrap label below its own: they are often close.
      text(cr, x1 - 4, Y(*uniform) - 9, fmt::format("uniform {:.3f}", *uniform), {11, false, kUniform}, Align::right);
    }
    if (bootstrap) {
      dashed(cr, x0, Y(*bootstrap), x1, Y(*bootstrap), kBootstrap);
      text(cr, x1 - 4, Y(*bootstrap) + 10, fmt::format("bootstrap {:.3f}", *bootstrap), {11, false, kBootstrap},
           Align::right);
    }
    for (std::size_t i = 0; i < series.size(); ++i) {
      const Rgb c = variant_color(i);
      const auto& pts = series[i].points;
      set_color(cr, c);
      cairo_set_line_width(cr, 2);
      cairo_new_path(cr);
      for (std::size_t j = 0; j < pts.size(); ++j) {
        if (j == 0) {
          cairo_move_to(cr, X(pts[j].x), Y(*pts[j].w1.mean));
        } else {
          cairo_line_to(cr, X(pts[j].x), Y(*pts[j].w1.mean));
        }
      }
      cairo_stroke(cr);
      for (const AxisPoint& p : pts) {
        if (p.w1.std) {
          const double lo_y = Y(*p.w1.mean - *p.w1.std), hi_y = Y(*p.w1.mean + *p.w1.std);
          line(cr, X(p.x), lo_y, X(p.x), hi_y, c, 1.5);
          line(cr, X(p.x) - 4, lo_y, X(p.x) + 4, lo_y, c, 1.5);
          line(cr, X(p.x) - 4, hi_y, X(p.x) + 4, hi_y, c, 1.5);
        }
        dot(cr, X(p.x), Y(*p.w1.mean), 4, c);
      }
    }
    line(cr, x0, y0, x0, y1, kAxis);
    line(cr, x0, y1, x1, y1, kAxis);
    text(cr, (x0 + x1) / 2, y1 + 38, key, {12, false, kText}, Align::center);
    text_vertical(cr, 24, (y0 + y1) / 2, "W1 (lower is better)", {12, false, kText});
    legend_rows(cr, kWidth / 2.0, 490, items, kPerRow);
  });
}

}  // namespace socrates::compare::draw
#endif  // SOCRATES_HAVE_CAIRO
