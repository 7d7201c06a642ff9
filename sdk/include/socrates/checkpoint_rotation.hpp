// Which checkpoints a sink deletes after a new one is complete: the newest `keep_last`, plus
// the best one by an evaluation metric, survive. Header-only so every sink (local, scp, ...)
// rotates the same way. Call it only AFTER the newest checkpoint is complete and verified.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "socrates/checkpoint_sink.hpp"
#include "socrates/error.hpp"

namespace socrates {

struct RotationPolicy {
  /// Keep the newest N checkpoints; 0 keeps all.
  std::int64_t keep_last = 3;
  /// Also keep the checkpoint with the best value of this metric ("eval.loss"); "" = off.
  /// Checkpoints that lack the metric never count as best.
  std::string keep_best;
  /// "min" (lower is better, e.g. a loss) or "max".
  std::string best_mode = "min";
};

/// The step of the best checkpoint by `metric` (ties: the newest), or nothing if none has it.
inline std::optional<std::int64_t> best_checkpoint(const std::vector<CheckpointRef>& refs, const std::string& metric,
                                                   const std::string& mode) {
  if (mode != "min" && mode != "max") throw Error("best_mode must be \"min\" or \"max\", got \"" + mode + "\"");
  std::optional<std::int64_t> best_step;
  double best = 0;
  for (const CheckpointRef& r : refs) {
    auto it = r.metrics.find(metric);
    if (it == r.metrics.end() || it->second != it->second) continue;  // missing or NaN
    const double v = it->second;
    const bool better = !best_step || (mode == "min" ? v < best : v > best) ||
                        (v == best && r.step > *best_step);
    if (better) {
      best = v;
      best_step = r.step;
    }
  }
  return best_step;
}

/// The steps to delete, ascending. `refs` are the complete checkpoints a sink holds (any
/// order). Never returns the newest checkpoint, nor the best one when keep_best is set.
inline std::vector<std::int64_t> checkpoints_to_delete(const std::vector<CheckpointRef>& refs,
                                                      const RotationPolicy& policy) {
  if (policy.keep_last < 0) throw Error("keep_last must be >= 0, got " + std::to_string(policy.keep_last));
  std::set<std::int64_t> steps;
  for (const CheckpointRef& r : refs) steps.insert(r.step);
  if (policy.keep_last == 0 || steps.empty()) return {};
  std::set<std::int64_t> keep;
  auto it = steps.rbegin();
  for (std::int64_t i = 0; i < policy.keep_last && it != steps.rend(); ++i, ++it) keep.insert(*it);
  if (!policy.keep_best.empty()) {
    if (auto best = best_checkpoint(refs, policy.keep_best, policy.best_mode)) keep.insert(*best);
  }
  std::vector<std::int64_t> out;
  for (std::int64_t s : steps)
    if (!keep.count(s)) out.push_back(s);
  return out;
}

}  // namespace socrates
