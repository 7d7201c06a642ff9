// Where a training step's time goes: the PyTorch (Kineto) profiler around a few chosen steps,
// `[training] profile_steps` from `profile_start` on. It writes <run>/profile/ (one folder per
// rank when there are several): trace.json (chrome://tracing, Perfetto), summary.md and
// summary.json (device kernels and host operators by self time per step, kernels grouped).
#pragma once

#include <c10/core/Device.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace socrates {

/// One line of the summary: a kernel (device) or an operator (host, self time).
struct ProfileRow {
  std::string name;
  std::string group;  // kernels: gemm, attention, norm/rope/act, elementwise, reduce, copy, comm, quant, optimizer, other
  bool device = false;
  std::int64_t calls = 0;
  double total_ms = 0;
};

/// Sums rows by name, and for kernels by group; sorted by time, largest first.
std::vector<ProfileRow> top_rows(std::vector<ProfileRow> rows, std::size_t limit);
/// The group of a CUDA kernel name (see ProfileRow::group).
std::string kernel_group(const std::string& kernel);

class StepProfiler {
 public:
  /// Profiles steps [start, start + steps) (0-based step indices); steps == 0: off.
  StepProfiler(std::int64_t start, std::int64_t steps, std::filesystem::path dir, c10::Device device);
  ~StepProfiler();
  StepProfiler(const StepProfiler&) = delete;
  StepProfiler& operator=(const StepProfiler&) = delete;

  void before_step(std::int64_t step);
  void after_step(std::int64_t step);
  bool active() const { return active_; }

 private:
  void write(double wall_ms);

  std::int64_t start_, steps_;
  std::filesystem::path dir_;
  c10::Device device_;
  bool active_ = false;
  double started_ms_ = 0;
};

}  // namespace socrates
