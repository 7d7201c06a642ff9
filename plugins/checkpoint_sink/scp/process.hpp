// Runs a program as a child process (posix_spawnp, never a shell) and collects its output.
#pragma once

#include <atomic>
#include <string>
#include <vector>

namespace socrates_scp {

struct ProcessResult {
  int exit_code = -1;      // the program's exit status; -1 if it died from a signal or never started
  std::string out;         // stdout (capped, see run_process)
  std::string err;         // stderr (capped), or why it could not start
  bool cancelled = false;  // `cancel` was set and the child was killed
};

/// Runs argv[0] (looked up in PATH) with `argv`, stdin from /dev/null, and waits for it.
/// If `cancel` becomes true meanwhile, the child gets SIGTERM (SIGKILL 5 s later) and the
/// result says cancelled. Never throws for a failing program; a spawn failure is exit -1.
ProcessResult run_process(const std::vector<std::string>& argv, const std::atomic<bool>* cancel = nullptr);

}  // namespace socrates_scp
