// One live status line at the bottom of a terminal: a progress bar that log lines scroll
// above. Shown only when stderr is a terminal, the log format is "auto" and this is the
// console's rank; otherwise every call is a no-op and the log lines are all there is.
#pragma once

#include <string>
#include <string_view>

namespace socrates {

/// "auto" (a live line on a terminal) or "plain" (log lines only); throws ConfigError otherwise.
void set_log_format(std::string_view format);
/// Whether status lines are drawn.
bool live_status_enabled();
/// Replaces the status line (redrawn at most 10 times a second unless `force`).
void live_status(const std::string& text, bool force = false);
/// Erases the status line (at the end of a phase).
void live_status_clear();

/// `[#####.....] 37%`, `width` cells.
std::string progress_bar(double fraction, int width = 20);
/// 42s, 3m05s, 2h07m.
std::string duration_text(double seconds);

}  // namespace socrates
