// Trainer evaluation: validation loss, the evaluators (spread over the ranks), sample
// generations, and the end of training.
#include <ATen/core/grad_mode.h>
#include <ATen/ops/scalar_tensor.h>
#include <ATen/ops/zeros.h>
#include <fmt/format.h>

#include "eval/report.hpp"
#include "generate/generation.hpp"
#include "log/live_status.hpp"
#include "log/logging.hpp"
#include "train/device_stats.hpp"
#include "model/loss.hpp"
#include "train/eval_mode.hpp"
#include "train/trainer_impl.hpp"

namespace fs = std::filesystem;

namespace socrates {

// Mean loss over the response tokens of (up to eval_max_examples) validation examples,
// each rank taking every world-th example.
double Trainer::validation_loss(std::int64_t* tokens_out) {
  at::NoGradGuard no_grad;
  const TokenizedSet& set = *val_set_;
  const std::int64_t cap = cfg_.training.eval_max_examples, micro = cfg_.training.micro_batch_size;
  std::vector<std::size_t> idx;
  const std::size_t n = cap > 0 ? std::min<std::size_t>(set.size(), static_cast<std::size_t>(cap)) : set.size();
  for (std::size_t i = static_cast<std::size_t>(par_->rank()); i < n; i += static_cast<std::size_t>(par_->world_size()))
    idx.push_back(i);
  std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return set.length(a) < set.length(b); });
  // The sum stays on the device: one wait at the end, not one per batch.
  at::Tensor t = at::zeros({}, at::TensorOptions().dtype(at::kDouble).device(cfg_.run.device));
  double tokens = 0;
  for (std::size_t s = 0; s < idx.size(); s += static_cast<std::size_t>(micro)) {
    std::vector<std::size_t> mb(idx.begin() + static_cast<std::ptrdiff_t>(s),
                                idx.begin() + static_cast<std::ptrdiff_t>(std::min(idx.size(), s + micro)));
    MicroBatch b = collate(set, mb, pad_id_);
    LossSum l = causal_lm_loss(*model_, model_->forward(b.input_ids), b.labels);
    t.add_(l.sum.to(at::kDouble));
    tokens += static_cast<double>(l.tokens);
    live_status(fmt::format("validation loss {} {}/{} examples", progress_bar(double(s + mb.size()) / double(idx.size())),
                            s + mb.size(), idx.size()));
  }
  live_status_clear();
  at::Tensor k = at::scalar_tensor(tokens, at::kDouble);
  par_->all_reduce_sum(t);
  par_->all_reduce_sum(k);
  *tokens_out = static_cast<std::int64_t>(k.item<double>());
  return *tokens_out ? t.item<double>() / static_cast<double>(*tokens_out) : 0.0;
}

// A few validation prompts answered greedily next to the human answer. Every rank generates
// (no rank waits alone); rank 0 prints.
void Trainer::show_generations() {
  const std::size_t total = data_.dataset->size(Partition::validation);
  const std::size_t n = std::min<std::size_t>(total, static_cast<std::size_t>(cfg_.training.sample_generations));
  if (n == 0) return;
  SamplingParams p;
  p.max_new_tokens = 8;
  p.stop_ids = model_->config().eos_token_ids;
  for (const std::string& s : data_.format->stop_strings())
    if (auto id = data_.tokenizer->token_id(s)) p.stop_ids.push_back(*id);
  std::vector<std::vector<std::int64_t>> prompts;
  std::vector<Example> examples;
  for (std::size_t i = 0; i < n; ++i) {
    examples.push_back(data_.dataset->get(Partition::validation, i * (total / n)));
    std::vector<std::int64_t> ids;
    for (std::int32_t t : data_.tokenizer->encode(data_.format->render_prompt(examples.back()))) ids.push_back(t);
    prompts.push_back(std::move(ids));
  }
  Generation g = generate(*model_, prompts, p);
  if (par_->rank() != 0) return;
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::int32_t> out(g.tokens[i].begin(), g.tokens[i].end());
    host_logger()->info("  sample: study {} cond {} task {} | human {} | model \"{}\"", examples[i].study_id,
                        examples[i].condition_num, examples[i].task_num,
                        examples[i].response ? std::to_string(*examples[i].response) : "?",
                        data_.tokenizer->decode(out, /*skip_special=*/true));
  }
}

void Trainer::evaluate(std::int64_t step) {
  EvalModeGuard eval_mode(*adapter_);
  auto log = host_logger();
  const EvaluationSettings& es = cfg_.evaluation;
  std::map<std::string, double> m;
  if (val_set_) {
    std::int64_t tokens = 0;
    const double loss = validation_loss(&tokens);
    log->info("eval @ step {}: loss {:.4f} over {} response tokens", step, loss, tokens);
    m["loss"] = loss;
    summary_.eval_losses.push_back(loss);
  }
  if (!during_examples_.empty()) {
    EvalRun r = evaluate_model(*model_, *data_.format, *data_.tokenizer, during_examples_, evaluators_, es.predict,
                               fmt::format("step {}", step), nullptr, par_.get());
    log->info("eval @ step {} on {} ({} participants): {}", step, to_string(es.split), r.rows.size(), headline(r));
    for (const auto& [k, v] : flat_metrics(r)) m[k] = v;
  }
  if (!m.empty() && metrics_) metrics_->write("eval", step, m);
  if (val_set_) show_generations();
}

// Before any update the adapter is the identity (LoRA's B = 0): this scores the base model.
void Trainer::evaluate_base() {
  if (final_examples_.empty() || !cfg_.evaluation.compare_base) return;
  EvalModeGuard eval_mode(*adapter_);
  base_run_ = evaluate_model(*model_, *data_.format, *data_.tokenizer, final_examples_, evaluators_,
                             cfg_.evaluation.predict, "base", nullptr, par_.get());
  host_logger()->info("base model on {} ({} participants): {}", to_string(cfg_.evaluation.final_split),
                      base_run_->rows.size(), headline(*base_run_));
}

void Trainer::finish() {
  const std::int64_t total = sched_.total_steps;
  synchronize(cfg_.run.device);
  summary_.steps = total;
  summary_.seconds = progress_->elapsed_seconds();
  evaluate(total);
  const bool root = par_->rank() == 0;
  if (!final_examples_.empty()) {
    EvalModeGuard eval_mode(*adapter_);
    const EvaluationSettings& es = cfg_.evaluation;
    std::vector<std::string> texts;
    EvalRun tuned = evaluate_model(*model_, *data_.format, *data_.tokenizer, final_examples_, evaluators_, es.predict,
                                   "tuned", &texts, par_.get());
    const fs::path dir = run_dir_ / "eval" / fmt::format("final-{}-{}", to_string(es.final_split), tuned.mode);
    if (root) save_evaluation(dir, tuned, base_run_ ? &*base_run_ : nullptr, texts);
    if (metrics_) metrics_->write("final", total, flat_metrics(tuned));
    summary_.eval_summary = format_summary(tuned, base_run_ ? &*base_run_ : nullptr);
    summary_.report = dir / "report.md";
  }
  summary_.adapter_dir = run_dir_ / "adapter";
  if (root) {
    fs::create_directories(summary_.adapter_dir);
    adapter_->save(summary_.adapter_dir);
  }
  ckpt_->save(total, summary_.losses, summary_.eval_losses);
  ckpt_->flush();  // waits for background uploads
  std::int64_t all_tokens = 0;
  for (const auto& s : plan_.steps)
    for (const auto& mb : s)
      for (std::size_t i : mb) all_tokens += train_set_->length(i);
  summary_.tokens_per_second =
      static_cast<double>(all_tokens) * par_->world_size() / std::max(1e-9, summary_.seconds);
  const TrainFlops u = progress_->utilisation(summary_.tokens_per_second);
  summary_.mfu = u.model;
  summary_.hfu = u.hardware;
}

}  // namespace socrates
