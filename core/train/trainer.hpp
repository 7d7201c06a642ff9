// Training: `train()` runs an experiment's training in a run directory. The work is done by
// Trainer (train/trainer_impl.hpp): setup, then train_step per optimizer step, evaluate,
// save/resume and finish. See docs/architecture.md for the step sequence.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "config/experiment.hpp"

namespace socrates {

struct TrainSummary {
  std::int64_t steps = 0;
  double seconds = 0;
  double tokens_per_second = 0;
  double mfu = 0, hfu = 0;  // model / hardware FLOP utilisation (0 on a CPU): docs/benchmarks.md
  std::vector<double> losses;       // training loss of every step
  std::vector<double> eval_losses;  // validation loss at step 0 and every evaluation
  std::filesystem::path adapter_dir;
  std::string eval_summary;      // base vs tuned on the final split (empty: no evaluators)
  std::filesystem::path report;  // its report.md
  int stop_signal = 0;  // SIGTERM/SIGINT that stopped training after a checkpoint, else 0
};

struct TrainOptions {
  /// Continue from the newest complete checkpoint over all sinks (docs/checkpoints.md);
  /// start from step 0 if there is none.
  bool resume = false;
};

/// The seed of global micro-batch `global_micro_batch` of step `step` (its dropout masks):
/// the same for any number of ranks.
std::uint64_t micro_batch_seed(std::uint64_t seed, std::int64_t step, std::uint64_t global_micro_batch);

/// Runs the experiment's training in `run_dir` (which holds config.resolved.toml).
TrainSummary train(const Experiment& exp, const std::filesystem::path& run_dir, const TrainOptions& opts = {});

}  // namespace socrates
