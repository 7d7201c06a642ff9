#ifdef SOCRATES_HAVE_CAIRO

#include "eval/plot_canvas.hpp"

#include <cairo-svg.h>

#include <cmath>
#include <memory>

#include <fmt/format.h>

#include "io/atomic_file.hpp"
#include "socrates/error.hpp"

namespace socrates::plot {

namespace fs = std::filesystem;

namespace {

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

using Surface = std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)>;

void draw_on(cairo_surface_t* surface, const std::function<void(cairo_t*)>& draw, const fs::path& file) {
  cairo_t* cr = cairo_create(surface);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  draw(cr);
  const cairo_status_t status = cairo_status(cr);
  cairo_destroy(cr);
  if (status != CAIRO_STATUS_SUCCESS) {
    throw Error(fmt::format("cannot draw {}: cairo says {}", file.string(), cairo_status_to_string(status)));
  }
}

void check(cairo_status_t status, const fs::path& file) {
  if (status != CAIRO_STATUS_SUCCESS) {
    throw Error(fmt::format("cannot write {}: cairo says {}", file.string(), cairo_status_to_string(status)));
  }
}

}  // namespace

void render(const fs::path& stem, PlotSize size, const std::function<void(cairo_t*)>& draw) {
  const fs::path png = fs::path(stem).concat(".png"), svg = fs::path(stem).concat(".svg");
  std::error_code ec;
  fs::create_directories(stem.parent_path(), ec);
  if (ec) throw Error("cannot create the plot directory " + stem.parent_path().string() + ": " + ec.message());

  std::string bytes;
  {
    Surface s(cairo_image_surface_create(CAIRO_FORMAT_ARGB32, size.width, size.height), cairo_surface_destroy);
    check(cairo_surface_status(s.get()), png);
    draw_on(s.get(), draw, png);
    check(cairo_surface_write_to_png_stream(s.get(), append, &bytes), png);
  }
  write_file_atomic(png, bytes);

  bytes.clear();
  {
    Surface s(cairo_svg_surface_create_for_stream(append, &bytes, size.width, size.height), cairo_surface_destroy);
    check(cairo_surface_status(s.get()), svg);
    draw_on(s.get(), draw, svg);
    cairo_surface_finish(s.get());  // flushes the document into `bytes`
    check(cairo_surface_status(s.get()), svg);
  }
  write_file_atomic(svg, bytes);
}

void set_color(cairo_t* cr, Rgb c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

void fill_rect(cairo_t* cr, double x, double y, double w, double h, Rgb c) {
  set_color(cr, c);
  cairo_rectangle(cr, x, y, w, h);
  cairo_fill(cr);
}

void line(cairo_t* cr, double x0, double y0, double x1, double y1, Rgb c, double width) {
  if (width == 1) {  // snap to pixel centres
    if (x0 == x1) x0 = x1 = std::floor(x0) + 0.5;
    if (y0 == y1) y0 = y1 = std::floor(y0) + 0.5;
  }
  set_color(cr, c);
  cairo_set_line_width(cr, width);
  cairo_move_to(cr, x0, y0);
  cairo_line_to(cr, x1, y1);
  cairo_stroke(cr);
}

void diamond(cairo_t* cr, double x, double y, double r, Rgb c) {
  cairo_move_to(cr, x, y - r);
  cairo_line_to(cr, x + r, y);
  cairo_line_to(cr, x, y + r);
  cairo_line_to(cr, x - r, y);
  cairo_close_path(cr);
  set_color(cr, c);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_set_line_width(cr, 1);
  cairo_stroke(cr);
}

namespace {

void use_font(cairo_t* cr, const Font& f) {
  cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                         f.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, f.size);
}

}  // namespace

double text_width(cairo_t* cr, const std::string& s, const Font& f) {
  use_font(cr, f);
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}

std::string fit_text(cairo_t* cr, const std::string& s, const Font& f, double max_width) {
  if (text_width(cr, s, f) <= max_width) return s;
  std::string cut = s;
  while (!cut.empty()) {
    // Drop one whole UTF-8 character: its continuation bytes, then its lead byte.
    while (!cut.empty() && (static_cast<unsigned char>(cut.back()) & 0xC0) == 0x80) cut.pop_back();
    if (!cut.empty()) cut.pop_back();
    if (text_width(cr, cut + "…", f) <= max_width) return cut + "…";
  }
  return "…";
}

void text(cairo_t* cr, double x, double y, const std::string& s, const Font& f, Align align) {
  use_font(cr, f);
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  cairo_text_extents_t cap;
  cairo_text_extents(cr, "H", &cap);
  double left = x;
  if (align == Align::center) left = x - e.x_advance / 2;
  if (align == Align::right) left = x - e.x_advance;
  set_color(cr, f.color);
  cairo_move_to(cr, left, y - cap.y_bearing / 2);  // y_bearing < 0: the capital height
  cairo_show_text(cr, s.c_str());
  cairo_new_path(cr);
}

void text_vertical(cairo_t* cr, double x, double y, const std::string& s, const Font& f) {
  cairo_save(cr);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, -M_PI / 2);
  text(cr, 0, 0, s, f, Align::center);
  cairo_restore(cr);
}

std::string tick_label(double value, double step) {
  int decimals = 0;
  while (decimals < 6 && std::abs(step * std::pow(10.0, decimals) - std::round(step * std::pow(10.0, decimals))) > 1e-6) {
    ++decimals;
  }
  return fmt::format("{:.{}f}", value, decimals);
}

void legend(cairo_t* cr, double center, double y, const std::vector<LegendItem>& items) {
  const Font f{12, false, kText};
  constexpr double kMark = 14, kGap = 6, kSpace = 22;
  double total = 0;
  for (const auto& it : items) total += kMark + kGap + text_width(cr, it.label, f) + kSpace;
  total -= kSpace;
  double x = center - total / 2;
  for (const auto& it : items) {
    switch (it.mark) {
      case Mark::bar: fill_rect(cr, x, y - 5, kMark, 10, it.color); break;
      case Mark::tick: line(cr, x + kMark / 2, y - 7, x + kMark / 2, y + 7, it.color, 2.5); break;
      case Mark::diamond: diamond(cr, x + kMark / 2, y, 5.5, it.color); break;
    }
    x += kMark + kGap;
    text(cr, x, y, it.label, f);
    x += text_width(cr, it.label, f) + kSpace;
  }
}

}  // namespace socrates::plot

#endif  // SOCRATES_HAVE_CAIRO
