// Progress lines and train metrics: loss, lr, grad norm, tokens/s, ETA, and on GPUs MFU and
// peak memory, every log_every steps; on a terminal also a live status line every step.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include <c10/core/Device.h>

#include "train/train_flops.hpp"

namespace socrates {

class Progress {
 public:
  /// `flops`: model and hardware FLOPs per trained token (for MFU and HFU); `world`: ranks.
  Progress(c10::Device device, std::int64_t total_steps, std::int64_t first_step, std::int64_t log_every,
           TrainFlops flops, int world);

  void add_tokens(std::int64_t tokens) {
    window_tokens_ += tokens;
    run_tokens_ += tokens;
  }
  bool due(std::int64_t step) const;  // after step `step` (1-based count)
  /// Logs step `step` and returns its train metrics; restarts the throughput window.
  std::map<std::string, double> report(std::int64_t step, double loss, double lr, double grad_norm);
  /// The live status line after every step (on a terminal; see log/live_status.hpp).
  void tick(std::int64_t step, double loss);
  double elapsed_seconds() const;
  /// Model and hardware FLOP utilisation at `tokens_per_s` over all ranks; 0 where the device's
  /// peak is unknown (CPU).
  TrainFlops utilisation(double tokens_per_s) const;

 private:
  using Clock = std::chrono::steady_clock;
  c10::Device device_;
  std::int64_t total_, first_, log_every_;
  TrainFlops flops_;
  double peak_;
  int world_;
  Clock::time_point start_, window_start_;
  std::int64_t window_tokens_ = 0, run_tokens_ = 0;
};

}  // namespace socrates
