// Drawing helpers over cairo shared by the report plots: PNG + SVG output, text, colours.
// Only compiled with cairo (SOCRATES_HAVE_CAIRO).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <cairo.h>

#include "eval/plot.hpp"

namespace socrates::plot {

struct Rgb {
  double r, g, b;
};

// One palette: the model (and its predictions) blue, the base grey, humans green.
inline constexpr Rgb kModel{0.298, 0.447, 0.690};
inline constexpr Rgb kBase{0.690, 0.690, 0.690};
inline constexpr Rgb kHuman{0.333, 0.659, 0.408};
inline constexpr Rgb kUniform{0.769, 0.306, 0.322};
inline constexpr Rgb kBootstrap{0.200, 0.500, 0.280};
inline constexpr Rgb kText{0.13, 0.13, 0.13};
inline constexpr Rgb kSubtle{0.40, 0.40, 0.40};
inline constexpr Rgb kGrid{0.89, 0.89, 0.89};
inline constexpr Rgb kAxis{0.35, 0.35, 0.35};
inline constexpr Rgb kStripe{0.965, 0.965, 0.965};

/// Draws with `draw` on a white `size` canvas and writes <stem>.png and <stem>.svg, each
/// atomically. Throws socrates::Error naming the file when cairo or the write fails.
void render(const std::filesystem::path& stem, PlotSize size, const std::function<void(cairo_t*)>& draw);

struct Font {
  double size = 12;
  bool bold = false;
  Rgb color = kText;
};

enum class Align { left, center, right };

void set_color(cairo_t* cr, Rgb c);
void fill_rect(cairo_t* cr, double x, double y, double w, double h, Rgb c);
/// A line; crisp (on the pixel grid) when `width` is 1 and it is horizontal or vertical.
void line(cairo_t* cr, double x0, double y0, double x1, double y1, Rgb c, double width = 1);
void diamond(cairo_t* cr, double x, double y, double r, Rgb c);

double text_width(cairo_t* cr, const std::string& s, const Font& f);
/// `s` shortened with "…" until it is at most `max_width` wide.
std::string fit_text(cairo_t* cr, const std::string& s, const Font& f, double max_width);
/// Text whose vertical middle (of capitals) lies at `y`.
void text(cairo_t* cr, double x, double y, const std::string& s, const Font& f, Align align = Align::left);
/// Text turned 90° anticlockwise, centred on (x, y).
void text_vertical(cairo_t* cr, double x, double y, const std::string& s, const Font& f);

/// A tick value with as many decimals as the tick step needs ("0.05", "0.1", "2").
std::string tick_label(double value, double step);

enum class Mark { bar, tick, diamond };
struct LegendItem {
  std::string label;
  Mark mark;
  Rgb color;
};
/// One row of legend items centred on x = `center`, vertical middle at `y`.
void legend(cairo_t* cr, double center, double y, const std::vector<LegendItem>& items);

}  // namespace socrates::plot
