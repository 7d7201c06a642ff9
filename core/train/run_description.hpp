// What a run is, for trainer_state.json: its totals, schedule and the settings a resume
// must not change (batch plan, data, hyperparameters). Built the same way when saving and
// when resuming, so check_resumable() compares like with like.
#pragma once

#include <map>
#include <string>

#include "checkpoint/trainer_state.hpp"
#include "data/batching.hpp"
#include "data/pipeline.hpp"
#include "train/lr_schedule.hpp"

namespace socrates {

/// The state at step 0; the trainer fills in the step and losses when it saves.
/// `update_settings` is HostSettings::update_settings (the options a resume must not change).
TrainerState describe_training(const std::map<std::string, std::string>& update_settings, const BatchPlan& plan,
                               const LrSchedule& sched, const DataPipeline& data, const TokenizedSet& train_set,
                               int world_size);

}  // namespace socrates
