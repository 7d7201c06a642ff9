#include "train/run_description.hpp"

#include "socrates/sdk.hpp"

namespace socrates {

TrainerState describe_training(const std::map<std::string, std::string>& update_settings, const BatchPlan& plan,
                               const LrSchedule& sched, const DataPipeline& data, const TokenizedSet& train_set,
                               int world_size) {
  TrainerState s;
  s.total_steps = static_cast<std::int64_t>(plan.steps.size());
  s.steps_per_epoch = plan.steps_per_epoch;
  s.world_size = world_size;
  s.schedule = sched.kind;
  s.lr = sched.lr;
  s.warmup_steps = sched.warmup_steps();
  s.min_lr_ratio = sched.min_lr_ratio;
  s.next_lr = sched.at(0);

  s.settings = update_settings;
  s.settings["dataset (fingerprint)"] = data.dataset->fingerprint();
  s.settings["prompt format (fingerprint)"] = data.format->fingerprint();
  s.settings["tokenized training data (cache key)"] = train_set.file().stem().string();
  // The global order: a resume on another number of ranks continues the same data.
  s.settings["batch plan (sha256 of the data order)"] = plan.order_sha256;
  return s;
}

}  // namespace socrates
