#include "log/live_status.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include <fmt/format.h>

#include "log/live_status_sink.hpp"
#include "socrates/error.hpp"

namespace socrates {

namespace {
bool g_plain = false;
}  // namespace

LiveStatus& LiveStatus::instance() {
  static LiveStatus s;
  return s;
}

void LiveStatus::erase_locked() {
  if (!shown_.empty()) std::fputs("\r\x1b[2K", stderr);
  shown_.clear();
}

void LiveStatus::draw_locked() {
  if (text_.empty()) return;
  winsize ws{};
  const std::size_t cols = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 ? ws.ws_col - 1 : 119;
  shown_ = text_.substr(0, std::min(text_.size(), cols));  // one line: never wraps
  std::fputs("\r\x1b[2K", stderr);
  std::fputs(shown_.c_str(), stderr);
  std::fflush(stderr);
}

void set_log_format(std::string_view format) {
  if (format != "auto" && format != "plain")
    throw ConfigError("unknown log format '" + std::string(format) + "'; use auto (a live progress line on a terminal) or plain");
  g_plain = format == "plain";
  if (g_plain) live_status_clear();
}

bool live_status_enabled() {
  static const bool terminal = [] {
    const char* term = std::getenv("TERM");
    return isatty(STDERR_FILENO) == 1 && !(term && std::string_view(term) == "dumb");
  }();
  return terminal && !g_plain && LiveStatus::instance().console_rank;
}

void live_status(const std::string& text, bool force) {
  if (!live_status_enabled()) return;
  LiveStatus& s = LiveStatus::instance();
  const std::lock_guard lock(s.mutex);
  s.text_ = text;
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - s.last_draw_ < std::chrono::milliseconds(100)) return;
  s.last_draw_ = now;
  s.draw_locked();
}

void live_status_clear() {
  LiveStatus& s = LiveStatus::instance();
  const std::lock_guard lock(s.mutex);
  s.text_.clear();
  s.erase_locked();
  std::fflush(stderr);
}

std::string progress_bar(double fraction, int width) {
  fraction = std::clamp(fraction, 0.0, 1.0);
  const int full = static_cast<int>(fraction * width + 0.5);
  return fmt::format("[{}{}] {:3.0f}%", std::string(static_cast<std::size_t>(full), '#'),
                     std::string(static_cast<std::size_t>(width - full), '.'), 100 * fraction);
}

std::string duration_text(double s) {
  if (!(s >= 0) || s > 1e7) return "?";
  if (s < 60) return fmt::format("{:.0f}s", s);
  if (s < 3600) return fmt::format("{}m{:02d}s", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  return fmt::format("{}h{:02d}m", static_cast<int>(s / 3600), static_cast<int>(s / 60) % 60);
}

}  // namespace socrates
