// The trainer's side of checkpoints: [checkpoint] options, the sinks, saving (stage, seal,
// put, clean up), resuming, and stopping on SIGTERM/SIGINT. See docs/checkpoints.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "checkpoint/checkpoint_folder.hpp"
#include "checkpoint/signals.hpp"
#include "checkpoint/sinks.hpp"
#include "checkpoint/trainer_state.hpp"
#include "config/settings.hpp"
#include "socrates/parallelism.hpp"

namespace socrates {

class Checkpointer {
 public:
  /// Takes the run's sinks (create_sinks()) and installs the signal handlers. `config_toml`
  /// is the resolved experiment, saved with every checkpoint; `base` is this run's state at
  /// step 0; `lr_at(step)` is the learning rate of step `step`.
  Checkpointer(const CheckpointSettings& settings, std::string config_toml, std::filesystem::path run_dir,
               std::vector<SinkHandle> sinks, TrainingParts parts, Parallelism& par, TrainerState base,
               std::function<double(std::int64_t)> lr_at);

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

  /// The step of the last checkpoint saved or resumed from by this process, or -1.
  std::int64_t last_saved() const { return last_saved_; }

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
  std::function<double(std::int64_t)> lr_at_;
  std::string config_toml_;  // the resolved experiment, saved with every checkpoint
  std::int64_t save_every_ = 0;
  bool continue_on_error_ = false;
  std::vector<SinkHandle> sinks_;
  std::int64_t last_saved_ = -1;
  StopSignals signals_;
};

}  // namespace socrates
