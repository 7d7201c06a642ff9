#include "checkpoint/signals.hpp"

#include <unistd.h>

#include <csignal>
#include <cstring>

namespace socrates {

namespace {

volatile std::sig_atomic_t g_signal = 0;
struct sigaction g_old_term {}, g_old_int {};

void say(const char* text) {
  // write(2) is async-signal-safe; a short write to stderr is not worth retrying here.
  const ssize_t n = ::write(STDERR_FILENO, text, std::strlen(text));
  (void)n;
}

extern "C" void on_stop_signal(int signo) {
  if (g_signal == 0) {
    g_signal = signo;
    say(signo == SIGTERM ? "\nsocrates: got SIGTERM; saving a checkpoint after this step, then exiting\n"
                         : "\nsocrates: got SIGINT; saving a checkpoint after this step, then exiting\n");
  } else {
    say("\nsocrates: already stopping (saving a checkpoint); this signal is ignored. SIGKILL (kill -9) stops at "
        "once; the previous checkpoint stays intact\n");
  }
}

}  // namespace

StopSignals::StopSignals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // interrupted reads and writes carry on
  sigaction(SIGTERM, &sa, &g_old_term);
  sigaction(SIGINT, &sa, &g_old_int);
}

StopSignals::~StopSignals() {
  sigaction(SIGTERM, &g_old_term, nullptr);
  sigaction(SIGINT, &g_old_int, nullptr);
}

int StopSignals::pending() { return g_signal; }

void StopSignals::clear() { g_signal = 0; }

const char* StopSignals::name(int signo) {
  switch (signo) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    default: return "a signal";
  }
}

}  // namespace socrates
