// Colours and small drawing helpers shared by the comparison plots (cairo only).
#pragma once

#include <cmath>
#include <cstddef>

#include "eval/plot_canvas.hpp"

namespace socrates::compare::draw {

/// One colour per variant (matplotlib's tab10, cycled).
inline plot::Rgb variant_color(std::size_t i) {
  static constexpr plot::Rgb kPalette[] = {{0.122, 0.467, 0.706}, {1.000, 0.498, 0.055}, {0.173, 0.627, 0.173},
                                           {0.839, 0.153, 0.157}, {0.580, 0.404, 0.741}, {0.549, 0.337, 0.294},
                                           {0.890, 0.467, 0.761}, {0.498, 0.498, 0.498}, {0.737, 0.741, 0.133},
                                           {0.090, 0.745, 0.812}};
  return kPalette[i % (sizeof kPalette / sizeof kPalette[0])];
}

inline void dot(cairo_t* cr, double x, double y, double r, plot::Rgb c) {
  plot::set_color(cr, c);
  cairo_new_path(cr);
  cairo_arc(cr, x, y, r, 0, 2 * M_PI);
  cairo_fill(cr);
}

inline void dashed(cairo_t* cr, double x0, double y0, double x1, double y1, plot::Rgb c, double width = 1.5) {
  const double dash[] = {6, 4};
  cairo_save(cr);
  cairo_set_dash(cr, dash, 2, 0);
  plot::line(cr, x0, y0, x1, y1, c, width);
  cairo_restore(cr);
}

/// Legend items in rows of at most `per_row`, centred on x = `center`, from y = `top`.
/// Returns the y below the last row.
inline double legend_rows(cairo_t* cr, double center, double top, const std::vector<plot::LegendItem>& items,
                          std::size_t per_row) {
  double y = top;
  for (std::size_t i = 0; i < items.size(); i += per_row) {
    const auto end = items.begin() + static_cast<std::ptrdiff_t>(std::min(items.size(), i + per_row));
    plot::legend(cr, center, y, std::vector<plot::LegendItem>(items.begin() + static_cast<std::ptrdiff_t>(i), end));
    y += 20;
  }
  return y;
}

inline std::size_t legend_row_count(std::size_t items, std::size_t per_row) { return (items + per_row - 1) / per_row; }

}  // namespace socrates::compare::draw
