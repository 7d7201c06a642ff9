// Variant processes: `socrates resume RUN_DIR` started with fork + exec (nothing but
// async-signal-safe calls between the two, so it is safe after LibTorch has started
// threads), output to a log file, and SIGTERM when the sweep process dies.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace socrates::sweep {

struct ChildSpec {
  std::filesystem::path exe;      // the socrates executable
  std::vector<std::string> args;  // after argv[0]
  std::vector<std::pair<std::string, std::string>> env;  // set (replacing) in the child's environment
  std::filesystem::path log;      // stdout and stderr, appended
};

/// Starts the child; throws socrates::Error when it cannot. The child gets SIGTERM if this
/// process dies first.
pid_t spawn_child(const ChildSpec& spec);

struct ChildExit {
  pid_t pid = 0;
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // the signal that killed it, else 0
  double max_rss_gib = 0;
};

/// Reaps a child that has exited, waiting for one when `block`. nullopt when none has
/// (or a signal interrupted the wait, or there are no children).
std::optional<ChildExit> wait_child(bool block);

/// The last lines of `log` that report an error ("[error]", "[critical]", "error:"), joined,
/// at most `max_chars` (the end is kept); else its last non-empty line.
std::string last_error_lines(const std::filesystem::path& log, std::size_t max_chars = 600);

}  // namespace socrates::sweep
