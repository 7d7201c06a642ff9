// Learning-rate schedules as transformers defines them: linear warmup from 0 over
// ceil(warmup_ratio * total) steps, then cosine, linear or constant to min_lr_ratio * lr.
#pragma once

#include <cstdint>
#include <string>

namespace socrates {

struct LrSchedule {
  std::string kind = "cosine";  // cosine | linear | constant
  double lr = 1e-5;
  double warmup_ratio = 0.0;
  double min_lr_ratio = 0.0;
  std::int64_t total_steps = 1;

  std::int64_t warmup_steps() const;
  /// The learning rate of optimizer step `step` (0-based).
  double at(std::int64_t step) const;
};

}  // namespace socrates
