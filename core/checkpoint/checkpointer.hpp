// The trainer's side of checkpoints: [checkpoint] options, the sinks, saving (stage, seal,
// put, clean up), resuming, and stopping on SIGTERM/SIGINT. See docs/checkpoints.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint/checkpoint_folder.hpp"
#include "checkpoint/signals.hpp"
#include "checkpoint/sinks.hpp"
#include "checkpoint/trainer_state.hpp"
#include "config/experiment.hpp"
#include "socrates/parallelism.hpp"
#include "train/lr_schedule.hpp"

namespace socrates {

class Checkpointer {
 public:
  /// Reads [checkpoint], creates the sinks and installs the signal handlers. `base` is
  /// describe_training()'s state of this run at step 0.
  Checkpointer(const Experiment& exp, std::filesystem::path run_dir, TrainingParts parts, Parallelism& par,
               TrainerState base, LrSchedule sched);

  /// Restores the newest complete, verified checkpoint over all sinks: checks that this
  /// run's settings match it, loads adapter, optimizer and RNG states, and rewrites
  /// metrics.jsonl from the checkpoint's copy. nullopt (logged) when no sink has one.
  std::optional<TrainerState> resume();

  /// Whether [checkpoint] save_every asks for a checkpoint after `step` steps.
  bool due(std::int64_t step) const;

  /// Saves checkpoint `step` (no-op if it is the last one saved) into every sink. A failure
  /// throws socrates::Error naming the path and cause, unless on_save_error = "continue":
  /// then it is logged and false returned.
  bool save(std::int64_t step, const std::vector<double>& losses, const std::vector<double>& eval_losses);

  /// Blocks until every sink has finished its uploads.
  void flush();

  /// The SIGTERM/SIGINT received so far (on any rank), or 0.
  int stop_requested();

  /// Saves checkpoint `step`, flushes the sinks and logs how to resume.
  void stop(int signo, std::int64_t step, const std::vector<double>& losses, const std::vector<double>& eval_losses);

  const std::vector<SinkHandle>& sinks() const { return sinks_; }

 private:
  std::filesystem::path run_dir_;
  TrainingParts parts_;
  Parallelism* par_;
  TrainerState base_;
  LrSchedule sched_;
  std::string config_toml_;  // the resolved experiment, saved with every checkpoint
  std::int64_t save_every_ = 0;
  bool continue_on_error_ = false;
  std::vector<SinkHandle> sinks_;
  std::int64_t last_saved_ = -1;
  StopSignals signals_;
};

}  // namespace socrates
