#include "train/progress.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "log/live_status.hpp"
#include "log/logging.hpp"
#include "train/device_stats.hpp"

namespace socrates {


Progress::Progress(c10::Device device, std::int64_t total_steps, std::int64_t first_step, std::int64_t log_every,
                   TrainFlops flops, int world)
    : device_(device),
      total_(total_steps),
      first_(first_step),
      log_every_(std::max<std::int64_t>(1, log_every)),
      flops_(flops),
      peak_(peak_bf16_flops(device)),
      world_(world) {
  reset_peak_memory(device_);
  start_ = window_start_ = Clock::now();
}

bool Progress::due(std::int64_t step) const { return step % log_every_ == 0 || step == total_; }

TrainFlops Progress::utilisation(double tokens_per_s) const {
  if (peak_ <= 0) return {};
  const double per_rank = tokens_per_s / world_;
  return {per_rank * flops_.model / peak_, per_rank * flops_.hardware / peak_};
}

double Progress::elapsed_seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

// No device synchronisation here: the step's gradient norm has just reached the host, so the
// device is done with the window's work but the last optimizer step, which then counts in the
// next window. A wait here would idle the device while the host starts the next step.
std::map<std::string, double> Progress::report(std::int64_t step, double loss, double lr, double grad_norm) {
  const auto now = Clock::now();
  const double window_s = std::chrono::duration<double>(now - window_start_).count();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double tps = static_cast<double>(window_tokens_) * world_ / std::max(1e-9, window_s);
  const double eta = elapsed / static_cast<double>(step - first_) * static_cast<double>(total_ - step);
  std::map<std::string, double> m{{"loss", loss}, {"lr", lr}, {"grad_norm", grad_norm}, {"tokens_per_s", tps}};
  std::string gpu;
  if (peak_ > 0) {
    const TrainFlops u = utilisation(tps);
    m["mfu"] = u.model;
    m["hfu"] = u.hardware;
    m["peak_mem_gib"] = peak_memory_gib(device_);
    gpu = fmt::format(" | MFU {:.1f}% | HFU {:.1f}% | mem {:.1f} GiB", 100 * u.model, 100 * u.hardware,
                      m["peak_mem_gib"]);
  }
  host_logger()->info("step {}/{} | loss {:.4f} | lr {:.3g} | grad {:.3f} | {:.0f} tok/s | ETA {}{}", step, total_,
                      loss, lr, grad_norm, tps, duration_text(eta), gpu);
  window_start_ = now;
  window_tokens_ = 0;
  return m;
}

void Progress::tick(std::int64_t step, double loss) {
  if (!live_status_enabled()) return;
  const double elapsed = elapsed_seconds();
  const double tps = static_cast<double>(run_tokens_) * world_ / std::max(1e-9, elapsed);
  const double eta = elapsed / static_cast<double>(step - first_) * static_cast<double>(total_ - step);
  std::string gpu;
  if (peak_ > 0)
    gpu = fmt::format(" | MFU {:.1f}% | mem {:.1f} GiB", 100 * utilisation(tps).model, peak_memory_gib(device_));
  live_status(fmt::format("train {} step {}/{} | loss {:.4f} | {:.0f} tok/s{} | ETA {}",
                          progress_bar(static_cast<double>(step) / static_cast<double>(total_)), step, total_, loss, tps,
                          gpu, duration_text(eta)),
              step == total_);
}

}  // namespace socrates
