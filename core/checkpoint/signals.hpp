// SIGTERM and SIGINT during training: the handler only records the signal (it is
// async-signal-safe); the trainer checks at each step boundary, saves a checkpoint and exits
// with status 128 + signal. Further signals while stopping are ignored with a message.
#pragma once

namespace socrates {

class StopSignals {
 public:
  /// Installs the handlers for SIGTERM and SIGINT; the destructor restores the previous ones.
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  /// The first signal received (SIGTERM, SIGINT), or 0.
  static int pending();
  /// Forgets a received signal (tests).
  static void clear();
  /// "SIGTERM", "SIGINT", or "a signal".
  static const char* name(int signo);
};

}  // namespace socrates
