#include "train/trainer.hpp"

#include <chrono>

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/scalar_tensor.h>
#include <fmt/format.h>

#include "checkpoint/checkpointer.hpp"
#include "checkpoint/training_settings.hpp"
#include "data/batching.hpp"
#include "data/inspect.hpp"
#include "eval/evaluation.hpp"
#include "eval/report.hpp"
#include "generate/generation.hpp"
#include "log/logging.hpp"
#include "log/metrics.hpp"
#include "model/loss.hpp"
#include "socrates/sdk.hpp"
#include "train/device_stats.hpp"
#include "train/lr_schedule.hpp"
#include "train/pipeline.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {

using Clock = std::chrono::steady_clock;

std::string duration_text(double s) {
  if (s < 60) return fmt::format("{:.0f}s", s);
  if (s < 3600) return fmt::format("{}m{:02d}s", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  return fmt::format("{}h{:02d}m", static_cast<int>(s / 3600), static_cast<int>(s / 60) % 60);
}

struct Evaluation {
  double loss = 0;
  std::int64_t tokens = 0;
};

// Mean validation loss over the response tokens of (up to `cap`) validation examples.
Evaluation eval_loss(const CausalLM& model, const TokenizedSet& set, std::int64_t micro, std::int64_t cap,
                     Parallelism& par, std::int32_t pad) {
  at::NoGradGuard no_grad;
  std::vector<std::size_t> idx;
  const std::size_t n = cap > 0 ? std::min<std::size_t>(set.size(), static_cast<std::size_t>(cap)) : set.size();
  for (std::size_t i = static_cast<std::size_t>(par.rank()); i < n; i += static_cast<std::size_t>(par.world_size()))
    idx.push_back(i);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return set.length(a) < set.length(b); });
  double sum = 0;
  std::int64_t tokens = 0;
  for (std::size_t s = 0; s < idx.size(); s += static_cast<std::size_t>(micro)) {
    std::vector<std::size_t> mb(idx.begin() + static_cast<std::ptrdiff_t>(s),
                                idx.begin() + static_cast<std::ptrdiff_t>(std::min(idx.size(), s + micro)));
    MicroBatch b = collate(set, mb, pad);
    LossSum l = causal_lm_loss(model, model.forward(b.input_ids), b.labels);
    sum += l.sum.item<double>();
    tokens += l.tokens;
  }
  at::Tensor t = at::scalar_tensor(sum, at::kDouble);
  at::Tensor k = at::scalar_tensor(static_cast<double>(tokens), at::kDouble);
  par.all_reduce_sum(t);
  par.all_reduce_sum(k);
  Evaluation e;
  e.tokens = static_cast<std::int64_t>(k.item<double>());
  e.loss = e.tokens ? t.item<double>() / static_cast<double>(e.tokens) : 0.0;
  return e;
}

// A few validation prompts answered by the model, next to the human answer.
void show_generations(const CausalLM& model, const DataPipeline& data, std::int64_t count) {
  const std::size_t n = std::min<std::size_t>(data.dataset->size(Partition::validation), static_cast<std::size_t>(count));
  if (n == 0) return;
  SamplingParams p;
  p.max_new_tokens = 8;
  p.stop_ids = model.config().eos_token_ids;
  for (const std::string& s : data.format->stop_strings())
    if (auto id = data.tokenizer->token_id(s)) p.stop_ids.push_back(*id);
  std::vector<std::vector<std::int64_t>> prompts;
  std::vector<Example> examples;
  for (std::size_t i = 0; i < n; ++i) {
    examples.push_back(data.dataset->get(Partition::validation, i * (data.dataset->size(Partition::validation) / n)));
    std::vector<std::int64_t> ids;
    for (std::int32_t t : data.tokenizer->encode(data.format->render_prompt(examples.back()))) ids.push_back(t);
    prompts.push_back(std::move(ids));
  }
  Generation g = generate(model, prompts, p);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::int32_t> out(g.tokens[i].begin(), g.tokens[i].end());
    host_logger()->info("  sample: study {} cond {} task {} | human {} | model \"{}\"", examples[i].study_id,
                        examples[i].condition_num, examples[i].task_num,
                        examples[i].response ? std::to_string(*examples[i].response) : "?",
                        data.tokenizer->decode(out, /*skip_special=*/true));
  }
}

}  // namespace

TrainSummary train(const Experiment& exp, const fs::path& run_dir, const TrainOptions& opts) {
  auto log = host_logger();
  const ConfigSection t = exp.section("training");
  const c10::Device device(exp.section("run").get<std::string>("device"));
  const auto seed = static_cast<std::uint64_t>(exp.section("run").get<std::int64_t>("seed"));
  at::manual_seed(seed);

  DataPipeline data = DataPipeline::open(exp, run_dir);
  auto par = make_component<Parallelism>(exp, "parallelism", run_dir);
  auto optimizer = make_component<Optimizer>(exp, "optimizer", run_dir);
  auto adapter = make_component<Adapter>(exp, "adapter", run_dir);

  // Data: tokenize (cached), check, show.
  TokenizedSet train_set = data.tokenize(Partition::train);
  std::optional<TokenizedSet> val_set;
  if (data.dataset->size(Partition::validation) > 0) val_set = data.tokenize(Partition::validation);
  for (const std::string& w : check_examples(*data.dataset, Partition::train, train_set, *data.format, *data.tokenizer))
    log->warn("data: {}", w);
  if (val_set) check_examples(*data.dataset, Partition::validation, *val_set, *data.format, *data.tokenizer);

  BatchPlanOptions bo;
  bo.global_batch = t.get<std::int64_t>("global_batch_size");
  bo.micro_batch = t.get<std::int64_t>("micro_batch_size");
  bo.rank = par->rank();
  bo.world = par->world_size();
  bo.seed = seed;
  bo.epochs = t.get<double>("epochs");
  bo.max_steps = t.get<std::int64_t>("max_steps");
  bo.length_bucketing = t.get<bool>("length_bucketing");
  BatchPlan plan = plan_batches(train_set, bo);
  log->info("{}", dataset_stats(*data.dataset, Partition::train, train_set, plan.padding_ratio));
  if (val_set) log->info("{}", dataset_stats(*data.dataset, Partition::validation, *val_set, 0.0));
  const auto n_show = static_cast<std::size_t>(exp.section("data").get<std::int64_t>("inspect_examples"));
  for (std::size_t i = 0; i < std::min(n_show, train_set.size()); ++i)
    log->info("data check, rendered with loss marks:\n{}",
              render_example(*data.dataset, Partition::train, i, train_set, *data.tokenizer));

  // Model and trainable parameters.
  auto model = load_model(exp);
  if (static_cast<std::int64_t>(data.tokenizer->vocab_size()) > model->config().vocab_size) {
    throw ConfigError(fmt::format("the tokenizer has {} tokens but the model's vocabulary is {}: they do not belong "
                                  "together",
                                  data.tokenizer->vocab_size(), model->config().vocab_size));
  }
  model->set_gradient_checkpointing(t.get<bool>("gradient_checkpointing"));
  adapter->attach(*model);
  std::vector<NamedTensor> params = adapter->parameters();
  std::int64_t n_trainable = 0;
  for (auto& [n, p] : params) n_trainable += p.numel();
  log->info("trainable parameters: {} ({:.3f}% of {:.1f}M)", n_trainable,
            100.0 * static_cast<double>(n_trainable) / static_cast<double>(model->config().num_parameters()),
            model->config().num_parameters() / 1e6);
  optimizer->init(par->setup(params));
  adapter->set_training(true);

  const std::int64_t total = static_cast<std::int64_t>(plan.steps.size());
  LrSchedule sched;
  sched.kind = t.get<std::string>("schedule");
  sched.lr = t.get<double>("lr");
  sched.warmup_ratio = t.get<double>("warmup_ratio");
  sched.min_lr_ratio = t.get<double>("min_lr_ratio");
  sched.total_steps = total;
  const double max_norm = t.get<double>("max_grad_norm");
  const std::int64_t eval_every = t.get<std::int64_t>("eval_every"), log_every = t.get<std::int64_t>("log_every");
  const std::int64_t eval_cap = t.get<std::int64_t>("eval_max_examples");
  const std::int64_t n_samples = t.get<std::int64_t>("sample_generations");
  const std::int32_t pad = static_cast<std::int32_t>(
      model->config().pad_token_id.value_or(model->config().eos_token_ids.empty() ? 0 : model->config().eos_token_ids[0]));
  // Model FLOPs per trained token: forward, plus backward through activations (the base
  // is frozen, so no weight gradients): 2x forward. Recomputation is not counted.
  const double flops_per_token = 2.0 * model->config().flops_per_token(train_set.stats().max_length / 2 + 1);
  const double peak = peak_bf16_flops(device);
  log->info("training: {} steps ({} per epoch), global batch {} = micro {} x accumulation {} x ranks {}, lr {} {}",
            total, plan.steps_per_epoch, bo.global_batch, bo.micro_batch, bo.global_batch / (bo.micro_batch * bo.world),
            bo.world, sched.lr, sched.kind);

  // Checkpoints (docs/checkpoints.md): resume before metrics.jsonl is opened (it is rewound
  // to the checkpoint), save every [checkpoint] save_every steps, on SIGTERM/SIGINT, at the end.
  Checkpointer ckpt(exp, run_dir, {adapter.get(), optimizer.get(), device, par->rank(), par->world_size()}, *par,
                    describe_training(exp, plan, sched, data, train_set, par->world_size()), sched);
  std::optional<TrainerState> resumed;
  if (opts.resume) resumed = ckpt.resume();
  const std::int64_t first_step = resumed ? resumed->step : 0;

  MetricsWriter metrics(run_dir);
  TrainSummary summary;
  if (resumed) {
    summary.losses = resumed->losses;
    summary.eval_losses = resumed->eval_losses;
    if (first_step == total) {
      log->info("the run is already complete ({} steps); nothing to do", total);
      ckpt.flush();  // uploads what an earlier process left queued (scp sink)
      summary.steps = total;
      summary.adapter_dir = run_dir / "adapter";
      return summary;
    }
  }
  // The evaluators (wasserstein, accuracy, ...) score predictions on rank 0.
  const EvalSettings es = eval_settings(exp);
  const auto evaluators = make_evaluators(exp, run_dir);
  const bool scores = !evaluators.empty() && par->rank() == 0;
  const std::vector<Example> during_examples =
      scores && es.during_training ? eval_examples(*data.dataset, es.split, es.max_examples) : std::vector<Example>{};
  const std::vector<Example> final_examples =
      scores ? eval_examples(*data.dataset, es.final_split, es.max_examples) : std::vector<Example>{};
  if (scores && final_examples.empty())
    log->warn("evaluation: the {} partition is empty, so nothing is scored after training", to_string(es.final_split));
  std::optional<EvalRun> base_run;
  auto evaluate = [&](std::int64_t step) {
    adapter->set_training(false);
    std::map<std::string, double> m;
    if (val_set) {
      Evaluation e = eval_loss(*model, *val_set, bo.micro_batch, eval_cap, *par, pad);
      log->info("eval @ step {}: loss {:.4f} over {} response tokens", step, e.loss, e.tokens);
      m["loss"] = e.loss;
      summary.eval_losses.push_back(e.loss);
    }
    if (!during_examples.empty()) {
      EvalRun r = evaluate_model(*model, *data.format, *data.tokenizer, during_examples, evaluators, es.predict,
                                 fmt::format("step {}", step));
      log->info("eval @ step {} on {} ({} participants): {}", step, to_string(es.split), r.rows.size(), headline(r));
      for (const auto& [k, v] : flat_metrics(r)) m[k] = v;
    }
    if (!m.empty()) metrics.write("eval", step, m);
    if (n_samples > 0 && par->rank() == 0 && val_set) show_generations(*model, data, n_samples);
    adapter->set_training(true);
  };
  if (first_step == 0) {
    evaluate(0);
    // Before any update the adapter is the identity (LoRA's B = 0): this scores the base model.
    if (!final_examples.empty() && es.compare_base) {
      adapter->set_training(false);
      base_run = evaluate_model(*model, *data.format, *data.tokenizer, final_examples, evaluators, es.predict, "base");
      log->info("base model on {} ({} participants): {}", to_string(es.final_split), base_run->rows.size(),
                headline(*base_run));
      adapter->set_training(true);
    }
  }

  reset_peak_memory(device);
  const auto start = Clock::now();
  auto window_start = start;
  std::int64_t window_tokens = 0;
  for (std::int64_t step = first_step; step < total; ++step) {
    const auto& micro_batches = plan.steps[static_cast<std::size_t>(step)];
    const double lr = sched.at(step);
    // The loss is the mean over the response tokens of the whole global batch: every
    // micro-batch's summed loss is divided by the global count, so accumulation and the
    // number of ranks do not change it.
    std::int64_t local_tokens = 0;
    std::vector<MicroBatch> batches;
    for (const auto& mb : micro_batches) {
      batches.push_back(collate(train_set, mb, pad));
      local_tokens += batches.back().loss_tokens;
      window_tokens += batches.back().tokens;
    }
    at::Tensor count = at::scalar_tensor(static_cast<double>(local_tokens), at::kDouble);
    par->all_reduce_sum(count);
    const double global_tokens = std::max(1.0, count.item<double>());
    at::Tensor loss_sum = at::scalar_tensor(0.0, at::TensorOptions().dtype(at::kFloat).device(device));
    for (std::size_t m = 0; m < batches.size(); ++m) {
      const bool last = m + 1 == batches.size();
      par->before_backward(last);
      LossSum l = causal_lm_loss(*model, model->forward(batches[m].input_ids), batches[m].labels);
      (l.sum / global_tokens).backward();
      par->after_backward(last);
      loss_sum = loss_sum + l.sum.detach();
    }
    const double grad_norm = par->clip_grad_norm(max_norm);
    optimizer->step(lr);
    for (auto& [n, p] : params) p.mutable_grad() = at::Tensor();
    par->after_step();
    at::Tensor ls = loss_sum.to(at::kDouble).cpu();
    par->all_reduce_sum(ls);
    const double loss = ls.item<double>() / global_tokens;
    summary.losses.push_back(loss);

    const bool log_now = (step + 1) % std::max<std::int64_t>(1, log_every) == 0 || step + 1 == total;
    if (log_now) {
      synchronize(device);
      const auto now = Clock::now();
      const double window_s = std::chrono::duration<double>(now - window_start).count();
      const double elapsed = std::chrono::duration<double>(now - start).count();
      const double tps = static_cast<double>(window_tokens) * bo.world / std::max(1e-9, window_s);
      const double eta = elapsed / static_cast<double>(step + 1 - first_step) * static_cast<double>(total - step - 1);
      std::map<std::string, double> m{{"loss", loss}, {"lr", lr}, {"grad_norm", grad_norm}, {"tokens_per_s", tps}};
      std::string gpu;
      if (peak > 0) {
        const double mfu = tps / bo.world * flops_per_token / peak;
        m["mfu"] = mfu;
        m["peak_mem_gib"] = peak_memory_gib(device);
        gpu = fmt::format(" | MFU {:.1f}% | mem {:.1f} GiB", 100 * mfu, m["peak_mem_gib"]);
      }
      log->info("step {}/{} | loss {:.4f} | lr {:.3g} | grad {:.3f} | {:.0f} tok/s | ETA {}{}", step + 1, total, loss,
                lr, grad_norm, tps, duration_text(eta), gpu);
      metrics.write("train", step + 1, m);
      window_start = now;
      window_tokens = 0;
    }
    if (eval_every > 0 && (step + 1) % eval_every == 0 && step + 1 != total) evaluate(step + 1);
    if (ckpt.due(step + 1)) ckpt.save(step + 1, summary.losses, summary.eval_losses);
    if (const int sig = ckpt.stop_requested()) {
      ckpt.stop(sig, step + 1, summary.losses, summary.eval_losses);
      summary.steps = step + 1;
      summary.stop_signal = sig;
      return summary;
    }
  }
  synchronize(device);
  summary.steps = total;
  summary.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  evaluate(total);

  if (!final_examples.empty()) {
    adapter->set_training(false);
    std::vector<std::string> texts;
    EvalRun tuned = evaluate_model(*model, *data.format, *data.tokenizer, final_examples, evaluators, es.predict,
                                   "tuned", &texts);
    const fs::path dir = run_dir / "eval" / fmt::format("final-{}-{}", to_string(es.final_split), tuned.mode);
    save_evaluation(dir, tuned, base_run ? &*base_run : nullptr, texts);
    metrics.write("final", total, flat_metrics(tuned));
    summary.eval_summary = format_summary(tuned, base_run ? &*base_run : nullptr);
    summary.report = dir / "report.md";
  }

  summary.adapter_dir = run_dir / "adapter";
  fs::create_directories(summary.adapter_dir);
  if (par->rank() == 0) adapter->save(summary.adapter_dir);
  ckpt.save(total, summary.losses, summary.eval_losses);
  ckpt.flush();  // waits for background uploads
  std::int64_t all_tokens = 0;
  for (const auto& s : plan.steps)
    for (const auto& mb : s)
      for (std::size_t i : mb) all_tokens += train_set.length(i);
  summary.tokens_per_second = static_cast<double>(all_tokens) * bo.world / std::max(1e-9, summary.seconds);
  return summary;
}

}  // namespace socrates
