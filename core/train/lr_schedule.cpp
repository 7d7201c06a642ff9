#include "train/lr_schedule.hpp"

#include <algorithm>
#include <cmath>

namespace socrates {

std::int64_t LrSchedule::warmup_steps() const {
  return static_cast<std::int64_t>(std::ceil(warmup_ratio * static_cast<double>(total_steps)));
}

double LrSchedule::at(std::int64_t step) const {
  const std::int64_t warm = warmup_steps();
  if (step < warm) return lr * static_cast<double>(step) / static_cast<double>(std::max<std::int64_t>(1, warm));
  const double progress =
      static_cast<double>(step - warm) / static_cast<double>(std::max<std::int64_t>(1, total_steps - warm));
  double f = 1.0;
  if (kind == "cosine") f = std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress))));
  if (kind == "linear") f = std::max(0.0, 1.0 - progress);
  return lr * (min_lr_ratio + (1.0 - min_lr_ratio) * f);
}

}  // namespace socrates
