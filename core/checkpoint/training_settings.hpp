// What a run is, for trainer_state.json: its totals, schedule and the settings a resume
// must not change (batch plan, data, hyperparameters). Built the same way when saving and
// when resuming, so check_resumable() compares like with like.
#pragma once

#include "checkpoint/trainer_state.hpp"
#include "config/experiment.hpp"
#include "data/batching.hpp"
#include "train/lr_schedule.hpp"
#include "train/pipeline.hpp"

namespace socrates {

/// The state at step 0; the trainer fills in the step and losses when it saves.
TrainerState describe_training(const Experiment& exp, const BatchPlan& plan, const LrSchedule& sched,
                               const DataPipeline& data, const TokenizedSet& train_set, int world_size);

/// sha256 over every example index of every micro-batch of every step: the data order.
std::string batch_plan_sha256(const BatchPlan& plan);

}  // namespace socrates
