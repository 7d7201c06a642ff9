#include "train/divergence.hpp"

#include <fmt/format.h>


namespace socrates {

std::string divergence_message(std::int64_t step, const std::string& what, const TrainingSettings& t,
                               const ModelSettings& m, std::int64_t last_saved, const std::filesystem::path& run_dir) {
  std::string msg = fmt::format("training diverged at step {}: {}. Nothing of this step was saved", step, what);
  if (last_saved >= 0) {
    msg += fmt::format("; the last good checkpoint, step {}, is kept as it was in the checkpoint sinks of {}",
                       last_saved, run_dir.string());
  } else {
    msg += "; no checkpoint had been saved yet";
  }
  msg += fmt::format(
      ". To fix it: lower training.lr (now {:g}), keep gradient clipping on (training.max_grad_norm, now {:g}; 0 turns "
      "it off), lengthen the warmup (training.warmup_ratio, now {:g})",
      t.lr, t.max_grad_norm, t.warmup_ratio);
  if (m.dtype != c10::kFloat) msg += ", or train in float32 (model.dtype)";
  msg += ", then start a new run";
  return msg;
}

}  // namespace socrates
