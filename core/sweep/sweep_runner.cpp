#include "sweep/sweep_runner.hpp"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <deque>
#include <map>
#include <thread>

#include "log/logging.hpp"
#include "socrates/error.hpp"
#include "sweep/child_process.hpp"
#include "sweep/variant_config.hpp"

namespace fs = std::filesystem;

namespace socrates::sweep {

namespace {

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_sweep_signal(int signo) {
  if (g_stop == 0) g_stop = signo;
}

// SIGINT/SIGTERM set g_stop and interrupt wait4 (no SA_RESTART) for the scope.
class StopScope {
 public:
  StopScope() {
    g_stop = 0;
    struct sigaction sa {};
    sa.sa_handler = on_sweep_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopScope() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

struct Running {
  std::size_t variant;
  std::size_t slot;
  std::chrono::steady_clock::time_point start;
};

// CPU threads per variant when several share the CPU.
std::string threads_per_cpu_variant(std::size_t cpu_slots) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return std::to_string(std::max<unsigned>(1, cores / static_cast<unsigned>(std::max<std::size_t>(1, cpu_slots))));
}

}  // namespace

RunTotals run_variants(SweepState& state, const RunOptions& opts, PluginCatalog& catalog) {
  auto log = host_logger();
  RunTotals totals;
  std::deque<std::size_t> queue;
  for (std::size_t i = 0; i < state.variants.size(); ++i) {
    VariantState& v = state.variants[i];
    if (v.status == Status::finished) {
      ++totals.skipped;
      continue;
    }
    if (v.status == Status::running) v.status = Status::interrupted;  // its sweep process died
    queue.push_back(i);
  }
  const std::vector<std::string> slots = opts.devices.empty() ? std::vector<std::string>{""} : opts.devices;
  std::size_t cpu_slots = 0;
  for (const std::string& d : slots) cpu_slots += d == "cpu";
  std::vector<bool> busy(slots.size(), false);
  std::map<pid_t, Running> running;
  const std::size_t total = state.variants.size();
  std::size_t started_n = totals.skipped;

  StopScope stop_scope;
  bool forwarded = false;
  while (!queue.empty() || !running.empty()) {
    while (!g_stop && !queue.empty()) {
      std::size_t slot = 0;
      while (slot < slots.size() && busy[slot]) ++slot;
      if (slot == slots.size()) break;
      const std::size_t i = queue.front();
      queue.pop_front();
      VariantState& v = state.variants[i];
      const fs::path dir = state.run_dir(v);
      try {
        if (!slots[slot].empty()) set_run_device(dir, slots[slot], catalog);
        ChildSpec spec{opts.exe, {"resume", dir.string(), "--log-level", opts.log_level}, {}, dir / kConsoleLog};
        if (cpu_slots > 1 && slots[slot] == "cpu" && !std::getenv("OMP_NUM_THREADS")) {
          spec.env.emplace_back("OMP_NUM_THREADS", threads_per_cpu_variant(cpu_slots));
        }
        const pid_t pid = spawn_child(spec);
        const bool resumed = v.attempts > 0;
        ++v.attempts;
        v.status = Status::running;
        v.pid = pid;
        v.exit_code.reset();
        v.error.clear();
        v.device = slots[slot];  // empty (null in sweep.json): as its config says
        v.started_at = utc_now();
        v.finished_at.clear();
        busy[slot] = true;
        running[pid] = Running{i, slot, std::chrono::steady_clock::now()};
        ++started_n;
        log->info("[{}/{}] {}: {} (pid {}{}), output in {}", started_n, total, v.name,
                  resumed ? "resuming" : "started", pid, slots[slot].empty() ? "" : ", " + slots[slot],
                  (dir / kConsoleLog).string());
      } catch (const Error& e) {
        v.status = Status::failed;
        v.error = e.what();
        ++totals.failed;
        log->error("{}: could not start: {}", v.name, e.what());
      }
      save_state(state);
    }
    if (running.empty()) break;
    if (g_stop && !forwarded) {
      log->warn("stopping the sweep: the running variants save a checkpoint and stop ({} running)", running.size());
      for (const auto& [pid, r] : running) ::kill(pid, SIGTERM);
      forwarded = true;
    }
    // Polling keeps a stop signal from waiting for the next variant to end.
    const std::optional<ChildExit> exit = wait_child(false);
    if (!exit) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    auto it = running.find(exit->pid);
    if (it == running.end()) continue;  // not a variant process
    const Running r = it->second;
    running.erase(it);
    busy[r.slot] = false;
    VariantState& v = state.variants[r.variant];
    v.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - r.start).count();
    v.max_rss_gib = std::max(v.max_rss_gib.value_or(0.0), exit->max_rss_gib);
    v.pid = 0;
    v.finished_at = utc_now();
    if (exit->exit_code >= 0) v.exit_code = exit->exit_code;
    const bool stopped_by_us = g_stop && (exit->exit_code == 128 + SIGTERM || exit->exit_code == 128 + SIGINT ||
                                          exit->signal == SIGTERM || exit->signal == SIGINT);
    if (exit->exit_code == 0) {
      v.status = Status::finished;
      ++totals.finished;
      log->info("{}: finished in {:.1f} s", v.name, v.seconds);
    } else if (stopped_by_us) {
      v.status = Status::interrupted;
      ++totals.interrupted;
      log->warn("{}: stopped; `socrates sweep --resume {}` continues it from its checkpoint", v.name,
                state.dir.string());
    } else {
      v.status = Status::failed;
      const std::string how = exit->signal ? "killed by signal " + std::to_string(exit->signal)
                                           : "exit status " + std::to_string(exit->exit_code);
      v.error = how + ": " + last_error_lines(state.run_dir(v) / kConsoleLog);
      ++totals.failed;
      log->error("{}: failed ({}); the others go on. Log: {}", v.name, v.error, (state.run_dir(v) / kConsoleLog).string());
    }
    save_state(state);
  }
  if (g_stop) {
    totals.stop_signal = g_stop;
    save_state(state);
  }
  return totals;
}

}  // namespace socrates::sweep
