// The Trainer: torchtune-style setup_* methods, then a loop of train_step() (one optimizer
// step: forward_backward() over the micro-batches between the parallelism hooks, clipping,
// the optimizer), evaluate(), checkpoints and finish(). Only train/*.cpp include this.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "checkpoint/checkpointer.hpp"
#include "config/experiment.hpp"
#include "data/batching.hpp"
#include "data/pipeline.hpp"
#include "eval/evaluation.hpp"
#include "log/metrics.hpp"
#include "model/causal_lm.hpp"
#include "socrates/sdk.hpp"
#include "train/lr_schedule.hpp"
#include "train/objective_model.hpp"
#include "train/progress.hpp"
#include "train/step_profiler.hpp"
#include "train/trainer.hpp"

namespace socrates {

class Trainer {
 public:
  Trainer(const Experiment& exp, std::filesystem::path run_dir, TrainOptions opts);
  TrainSummary fit();

 private:
  // Setup, in order (trainer_setup.cpp).
  void setup_data();
  void setup_model();
  void setup_adapter();
  void setup_parallelism();
  void setup_optimizer();
  void setup_schedule();
  void setup_checkpointer();
  void setup_profiler(std::int64_t first, std::int64_t total);
  void setup_evaluation();

  // One optimizer step (trainer_step.cpp): returns the step's loss over the global batch.
  double train_step(std::int64_t step);
  [[noreturn]] void diverged(std::int64_t step, const std::string& what);
  // Forward and backward of this rank's micro-batches; returns the summed loss.
  // Micro-batch m of this rank is micro-batch m * world + rank of the global batch; its
  // dropout masks are seeded by (seed, step, that index), whatever the number of ranks.
  at::Tensor forward_backward(const std::vector<TokenBatch>& batches, double global_units, std::int64_t step);
  // This rank's micro-batches of a step, collated (pinned when the device is a GPU): the
  // prefetched ones when `step` was prefetched, else collated now.
  std::vector<MicroBatch> step_batches(std::int64_t step);
  // Collates the next step's micro-batches while the device still runs this step's backward.
  void prefetch(std::int64_t step);
  // Every rank must train the same experiment on the same data: compares fingerprints.
  void check_ranks_agree();

  // Evaluation (trainer_eval.cpp).
  void evaluate(std::int64_t step);
  void evaluate_base();
  double validation_loss(std::int64_t* tokens);
  void show_generations();
  void finish();

  const Experiment& exp_;
  const HostSettings& cfg_;
  std::filesystem::path run_dir_;
  TrainOptions opts_;

  DataPipeline data_;
  std::optional<TokenizedSet> train_set_, val_set_;
  BatchPlan plan_;
  std::int32_t pad_id_ = 0;
  std::int64_t prefetched_step_ = -1;
  std::vector<MicroBatch> prefetched_;
  // Destroyed in reverse: the model (holding the adapter's deltas) goes before the adapter.
  std::shared_ptr<Parallelism> par_;
  std::shared_ptr<Optimizer> optimizer_;
  std::shared_ptr<Adapter> adapter_;
  std::shared_ptr<Objective> objective_;
  std::unique_ptr<CausalLM> model_;
  std::unique_ptr<CausalLmObjectiveModel> objective_model_;
  std::vector<NamedTensor> params_;
  LrSchedule sched_;
  std::unique_ptr<Checkpointer> ckpt_;
  std::unique_ptr<MetricsWriter> metrics_;
  std::unique_ptr<Progress> progress_;
  std::unique_ptr<StepProfiler> profiler_;

  std::vector<NamedEvaluator> evaluators_;
  std::vector<Example> during_examples_, final_examples_;
  std::optional<EvalRun> base_run_;
  TrainSummary summary_;
};

}  // namespace socrates
