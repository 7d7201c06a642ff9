// plots/w1_per_variant: horizontal bars of W1 per variant with the references.
#ifdef SOCRATES_HAVE_CAIRO
#include <algorithm>

#include <fmt/format.h>

#include "compare/plot_compare_draw.hpp"
#include "compare/plot_compare_style.hpp"
#include "eval/plot_data.hpp"

namespace socrates::compare::draw {

using namespace socrates::plot;

void w1_per_variant(const std::filesystem::path& stem, const CompareTable& t) {
  bool with_base = false;
  for (const Row& r : t.rows) with_base = with_base || r.stats[kBaseW1].mean.has_value();
  constexpr int kWidth = 1000, kTop = 96, kBottom = 64;
  const double row = with_base ? 32 : 24;
  const PlotSize size{kWidth, kTop + static_cast<int>(t.rows.size() * row) + kBottom};
  render(stem, size, [&](cairo_t* cr) {
    const Font label_font{12, false, kText}, tick_font{11, false, kSubtle};
    text(cr, kWidth / 2.0, 24, "W1 per variant", {17, true}, Align::center);
    text(cr, kWidth / 2.0, 46,
         t.with_seeds ? "final Wasserstein-1 on the test split; bar = mean over seeds, whisker = ± std, dots = seeds"
                      : "final Wasserstein-1 on the test split (lower is better)",
         {12, false, kSubtle}, Align::center);
    std::vector<LegendItem> items;
    if (with_base) items.push_back({"base model", Mark::bar, kBase});
    items.push_back({"tuned", Mark::bar, kModel});
    items.push_back({"uniform guess", Mark::tick, kUniform});
    items.push_back({"human bootstrap bound", Mark::diamond, kBootstrap});
    legend(cr, kWidth / 2.0, 70, items);

    double label_w = 40;
    for (const Row& r : t.rows) label_w = std::max(label_w, text_width(cr, r.name, label_font));
    label_w = std::min(label_w, 300.0);
    const double x0 = 16 + label_w + 10, x1 = kWidth - 40;
    const double y0 = kTop, y1 = kTop + t.rows.size() * row;

    double hi = 0;
    for (const Row& r : t.rows) {
      for (std::size_t m : {kW1, kBaseW1, kUniformW1, kBootstrapW1}) {
        if (r.stats[m].mean) hi = std::max(hi, *r.stats[m].mean + r.stats[m].std.value_or(0));
      }
      for (const RunRecord* run : r.runs)
        if (run->w1) hi = std::max(hi, *run->w1);
    }
    const auto ticks = nice_ticks(hi > 0 ? hi * 1.02 : 1, 8);
    const double x_max = ticks.back(), step = ticks.size() > 1 ? ticks[1] - ticks[0] : x_max;
    auto X = [&](double v) { return x0 + (x1 - x0) * std::clamp(v / x_max, 0.0, 1.0); };

    for (std::size_t i = 0; i < t.rows.size(); i += 2) fill_rect(cr, x0, y0 + i * row, x1 - x0, row, kStripe);
    for (double tk : ticks) {
      line(cr, X(tk), y0, X(tk), y1, kGrid);
      line(cr, X(tk), y1, X(tk), y1 + 4, kAxis);
      text(cr, X(tk), y1 + 15, tick_label(tk, step), tick_font, Align::center);
    }
    for (std::size_t i = 0; i < t.rows.size(); ++i) {
      const Row& r = t.rows[i];
      const double yc = y0 + (i + 0.5) * row;
      text(cr, x0 - 10, yc, fit_text(cr, r.name, label_font, label_w), label_font, Align::right);
      const double bh = with_base ? 11 : 13;
      const Stat& w1 = r.stats[kW1];
      const Stat& base = r.stats[kBaseW1];
      if (with_base && base.mean) fill_rect(cr, x0, yc - bh - 1, X(*base.mean) - x0, bh, kBase);
      const double my = with_base ? yc + 1 + bh / 2 : yc;
      if (w1.mean) {
        fill_rect(cr, x0, my - bh / 2, X(*w1.mean) - x0, bh, kModel);
        if (w1.std) {
          const double a = X(*w1.mean - *w1.std), b = X(*w1.mean + *w1.std);
          line(cr, a, my, b, my, kText, 1.5);
          line(cr, a, my - 4, a, my + 4, kText, 1.5);
          line(cr, b, my - 4, b, my + 4, kText, 1.5);
        }
        if (r.runs.size() > 1) {
          for (const RunRecord* run : r.runs)
            if (run->w1) dot(cr, X(*run->w1), my, 2.5, kText);
        }
      } else {
        text(cr, x0 + 6, my, "no result (" + r.status + ")", {11, false, kSubtle});
      }
      if (r.stats[kUniformW1].mean) {
        const double u = X(*r.stats[kUniformW1].mean);
        line(cr, u, yc - row * 0.42, u, yc + row * 0.42, kUniform, 2.5);
      }
      if (r.stats[kBootstrapW1].mean) diamond(cr, X(*r.stats[kBootstrapW1].mean), yc, 5.5, kBootstrap);
    }
    line(cr, x0, y0, x0, y1, kAxis);
    line(cr, x0, y1, x1, y1, kAxis);
    text(cr, (x0 + x1) / 2, y1 + 40, "W1 (range-normalised; lower is better)", {12, false, kText}, Align::center);
  });
}

}  // namespace socrates::compare::draw
#endif  // SOCRATES_HAVE_CAIRO
