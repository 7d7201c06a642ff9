// trainer_state.json: where training stands (step, epoch, data position, schedule), the
// losses so far, and the settings a resumed run must share with the checkpoint.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace socrates {

struct TrainerState {
  static constexpr int kVersion = 1;

  std::int64_t step = 0;           // optimizer steps done
  double epoch = 0;                // step / steps_per_epoch
  std::int64_t data_position = 0;  // steps of the deterministic batch plan consumed
  std::int64_t total_steps = 0;
  std::int64_t steps_per_epoch = 0;
  int world_size = 1;
  // The learning-rate schedule (a pure function of the step; kept to check and to read).
  std::string schedule;
  double lr = 0;
  std::int64_t warmup_steps = 0;
  double min_lr_ratio = 0;
  double next_lr = 0;  // the rate of the next step
  /// What must not change on resume: "training.global_batch_size" -> "32", "batch plan
  /// (sha256)" -> "…", "dataset (fingerprint)" -> "…". Values are TOML text or digests.
  std::map<std::string, std::string> settings;
  /// The declared default of each plugin option in `settings` (not saved): a checkpoint made
  /// before a plugin gained an option resumes when the option keeps its default.
  std::map<std::string, std::string> defaults;
  std::vector<double> losses;                                // training loss of steps 1..step
  std::vector<double> eval_losses;                           // validation losses so far, in order
};

std::string trainer_state_json(const TrainerState& s);
/// Parses trainer_state.json; throws socrates::Error naming `file` when malformed.
TrainerState parse_trainer_state(const std::string& text, const std::filesystem::path& file);

/// Throws socrates::Error listing every setting that differs between the checkpoint
/// `ckpt` (`saved`) and this run (`now`), and what to do.
void check_resumable(const TrainerState& saved, const TrainerState& now, const std::filesystem::path& ckpt);

}  // namespace socrates
