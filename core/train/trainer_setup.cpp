// Trainer setup: each concern built from its own settings, in dependency order.
#include <ATen/core/grad_mode.h>
#include <fmt/format.h>

#include "checkpoint/sinks.hpp"
#include "data/inspect.hpp"
#include "log/logging.hpp"
#include "model/model_loader.hpp"
#include "plugin/components.hpp"
#include "train/run_description.hpp"
#include "train/trainer_impl.hpp"

namespace fs = std::filesystem;

namespace socrates {

Trainer::Trainer(const Experiment& exp, fs::path run_dir, TrainOptions opts)
    : exp_(exp), cfg_(exp.settings()), run_dir_(std::move(run_dir)), opts_(opts) {}

void Trainer::setup_parallelism() { par_ = make_component<Parallelism>(exp_, "parallelism", run_dir_); }

void Trainer::setup_data() {
  auto log = host_logger();
  data_ = DataPipeline::open(exp_, run_dir_);
  train_set_ = data_.tokenize(Partition::train);
  if (data_.dataset->size(Partition::validation) > 0) val_set_ = data_.tokenize(Partition::validation);
  for (const std::string& w : check_examples(*data_.dataset, Partition::train, *train_set_, *data_.format, *data_.tokenizer))
    log->warn("data: {}", w);
  if (val_set_) check_examples(*data_.dataset, Partition::validation, *val_set_, *data_.format, *data_.tokenizer);

  const TrainingSettings& t = cfg_.training;
  BatchPlanOptions bo;
  bo.global_batch = t.global_batch_size;
  bo.micro_batch = t.micro_batch_size;
  bo.rank = par_->rank();
  bo.world = par_->world_size();
  bo.seed = cfg_.run.seed;
  bo.epochs = t.epochs;
  bo.max_steps = t.max_steps;
  bo.length_bucketing = t.length_bucketing;
  plan_ = plan_batches(*train_set_, bo);
  log->info("{}", dataset_stats(*data_.dataset, Partition::train, *train_set_, plan_.padding_ratio));
  if (val_set_) log->info("{}", dataset_stats(*data_.dataset, Partition::validation, *val_set_, 0.0));
  const auto n_show = static_cast<std::size_t>(cfg_.data.inspect_examples);
  for (std::size_t i = 0; i < std::min(n_show, train_set_->size()); ++i)
    log->info("data check, rendered with loss marks:\n{}",
              render_example(*data_.dataset, Partition::train, i, *train_set_, *data_.tokenizer));
}

void Trainer::setup_model() {
  model_ = load_model(cfg_.model, cfg_.run);
  const ModelConfig& mc = model_->config();
  if (static_cast<std::int64_t>(data_.tokenizer->vocab_size()) > mc.vocab_size) {
    throw ConfigError(fmt::format("the tokenizer has {} tokens but the model's vocabulary is {}: they do not belong "
                                  "together",
                                  data_.tokenizer->vocab_size(), mc.vocab_size));
  }
  model_->set_gradient_checkpointing(cfg_.training.gradient_checkpointing, cfg_.training.checkpoint_layers);
  pad_id_ = static_cast<std::int32_t>(mc.pad_token_id.value_or(mc.eos_token_ids.empty() ? 0 : mc.eos_token_ids[0]));
  objective_ = make_component<Objective>(exp_, "objective", run_dir_);
  objective_model_ = std::make_unique<CausalLmObjectiveModel>(*model_);
}

void Trainer::setup_adapter() {
  adapter_ = make_component<Adapter>(exp_, "adapter", run_dir_);
  adapter_->attach(*model_);
  params_ = adapter_->parameters();
  std::int64_t n = 0;
  for (auto& [name, p] : params_) n += p.numel();
  const double all = static_cast<double>(model_->config().num_parameters());
  host_logger()->info("trainable parameters: {} ({:.3f}% of {:.1f}M)", n, 100.0 * static_cast<double>(n) / all,
                      all / 1e6);
}

void Trainer::setup_optimizer() {
  optimizer_ = make_component<Optimizer>(exp_, "optimizer", run_dir_);
  optimizer_->init(par_->setup(params_));
  adapter_->set_training(true);
}

void Trainer::setup_schedule() {
  const TrainingSettings& t = cfg_.training;
  sched_.kind = t.schedule;
  sched_.lr = t.lr;
  sched_.warmup_ratio = t.warmup_ratio;
  sched_.min_lr_ratio = t.min_lr_ratio;
  sched_.total_steps = static_cast<std::int64_t>(plan_.steps.size());
  const std::int64_t world = par_->world_size();
  host_logger()->info(
      "training: {} steps ({} per epoch), global batch {} = micro {} x accumulation {} x ranks {}, lr {} {}",
      sched_.total_steps, plan_.steps_per_epoch, t.global_batch_size, t.micro_batch_size,
      t.global_batch_size / (t.micro_batch_size * world), world, sched_.lr, sched_.kind);
}

// Resume happens right after this, before metrics.jsonl is opened (it is rewound to the
// checkpoint). See docs/checkpoints.md.
void Trainer::setup_checkpointer() {
  TrainingParts parts{adapter_.get(), optimizer_.get(), cfg_.run.device, par_->rank(), par_->world_size()};
  TrainerState base =
      describe_training(cfg_.update_settings, plan_, sched_, data_, *train_set_, par_->world_size());
  base.defaults = cfg_.update_defaults;
  const LrSchedule sched = sched_;
  ckpt_ = std::make_unique<Checkpointer>(cfg_.checkpoint, exp_.to_toml(), run_dir_, create_sinks(exp_, run_dir_),
                                         parts, *par_, std::move(base),
                                         [sched](std::int64_t step) { return sched.at(step); });
}

// The evaluators score on every rank: predictions are spread over the ranks and gathered.
void Trainer::setup_evaluation() {
  const EvaluationSettings& es = cfg_.evaluation;
  evaluators_ = make_evaluators(exp_, run_dir_);
  if (evaluators_.empty()) return;
  if (es.during_training) during_examples_ = eval_examples(*data_.dataset, es.split, es.max_examples);
  final_examples_ = eval_examples(*data_.dataset, es.final_split, es.max_examples);
  if (final_examples_.empty())
    host_logger()->warn("evaluation: the {} partition is empty, so nothing is scored after training",
                        to_string(es.final_split));
}

}  // namespace socrates
