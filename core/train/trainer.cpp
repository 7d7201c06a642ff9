// The training loop: Trainer::fit() and one optimizer step. Every rank runs the same
// sequence of parallelism hooks and collectives on every step, whatever its data.
#include <ATen/TensorOperators.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/scalar_tensor.h>
#include <ATen/ops/zeros.h>
#include <fmt/format.h>

#include <cmath>

#include "io/splitmix.hpp"
#include "io/sha256.hpp"
#include "log/live_status.hpp"
#include "log/logging.hpp"
#include "model/device_copy.hpp"
#include "train/divergence.hpp"
#include "train/device_stats.hpp"
#include "train/trainer_impl.hpp"

namespace fs = std::filesystem;

namespace socrates {

TrainSummary Trainer::fit() {
  at::manual_seed(cfg_.run.seed);
  setup_parallelism();
  setup_data();
  check_ranks_agree();
  setup_model();
  setup_adapter();
  setup_optimizer();
  setup_schedule();
  setup_checkpointer();
  const std::int64_t total = sched_.total_steps;
  std::optional<TrainerState> resumed = opts_.resume ? ckpt_->resume() : std::nullopt;
  const std::int64_t first = resumed ? resumed->step : 0;
  if (par_->rank() == 0) metrics_ = std::make_unique<MetricsWriter>(run_dir_);
  if (resumed) {
    summary_.losses = resumed->losses;
    summary_.eval_losses = resumed->eval_losses;
    if (first == total) {
      host_logger()->info("the run is already complete ({} steps); nothing to do", total);
      ckpt_->flush();  // uploads what an earlier process left queued (scp sink)
      summary_.steps = total;
      summary_.adapter_dir = run_dir_ / "adapter";
      return summary_;
    }
  }
  setup_evaluation();
  if (first == 0) {
    evaluate(0);
    evaluate_base();
  }
  const TokenStats& ts = train_set_->stats();
  std::int64_t trainable = 0;
  for (const auto& [n, p] : params_) trainable += p.numel();
  const TrainFlops flops = train_flops_per_token(
      model_->config(), static_cast<double>(ts.tokens) / static_cast<double>(std::max<std::int64_t>(1, ts.examples)),
      static_cast<double>(ts.label_tokens) / static_cast<double>(std::max<std::int64_t>(1, ts.tokens)), trainable,
      recompute_share(cfg_.training, model_->config().num_layers));
  progress_ = std::make_unique<Progress>(cfg_.run.device, total, first, cfg_.training.log_every, flops,
                                         par_->world_size());
  setup_profiler(first, total);
  const std::int64_t eval_every = cfg_.training.eval_every;
  for (std::int64_t step = first; step < total; ++step) {
    profiler_->before_step(step);
    train_step(step);
    profiler_->after_step(step);
    const std::int64_t done = step + 1;
    if (eval_every > 0 && done % eval_every == 0 && done != total) evaluate(done);
    if (ckpt_->due(done)) ckpt_->save(done, summary_.losses, summary_.eval_losses);
    if (const int sig = ckpt_->stop_requested()) {
      ckpt_->stop(sig, done, summary_.losses, summary_.eval_losses);
      summary_.steps = done;
      summary_.stop_signal = sig;
      return summary_;
    }
  }
  live_status_clear();
  finish();
  return summary_;
}

// The profiled window, clipped to the steps this process runs.
void Trainer::setup_profiler(std::int64_t first, std::int64_t total) {
  const TrainingSettings& t = cfg_.training;
  std::int64_t start = std::max(t.profile_start, first), steps = std::min(t.profile_steps, total - start);
  if (t.profile_steps > 0 && steps <= 0)
    host_logger()->warn("training.profile_start = {} is not among the steps {}..{} of this run: nothing is profiled",
                        t.profile_start, first, total - 1);
  if (t.profile_steps > 0 && steps > 0 && steps < t.profile_steps)
    host_logger()->warn("the run ends before training.profile_steps = {} steps from step {}: profiling {}", t.profile_steps,
                        start, steps);
  fs::path dir = run_dir_ / "profile";
  if (par_->world_size() > 1) dir /= "rank" + std::to_string(par_->rank());
  profiler_ = std::make_unique<StepProfiler>(start, std::max<std::int64_t>(steps, 0), dir, cfg_.run.device);
}

std::uint64_t micro_batch_seed(std::uint64_t seed, std::int64_t step, std::uint64_t global_micro_batch) {
  // splitmix64 over the three numbers: well mixed, and the same on every platform.
  return splitmix64(splitmix64(splitmix64(seed) ^ static_cast<std::uint64_t>(step)) ^ global_micro_batch) >>
         1;  // torch seeds are < 2^63
}

// Each rank contributes 48-bit pieces of its digests in its own slots of one sum, so every
// rank sees every other's and the first difference is named with the rank that has it.
void Trainer::check_ranks_agree() {
  const int world = par_->world_size(), rank = par_->rank();
  if (world == 1) return;
  std::string data = data_.dataset->fingerprint() + "|" + data_.format->fingerprint() + "|" +
                     train_set_->file().stem().string() + "|" + plan_.order_sha256;
  const std::pair<const char*, std::string> what[] = {
      {"the resolved experiment (config.resolved.toml)", sha256_hex(exp_.to_toml())},
      {"the training data (dataset, prompt format, tokenized set, batch order)", sha256_hex(data)}};
  constexpr int kPieces = 4;  // 4 x 12 hex digits = 192 bits of each digest
  const int n = static_cast<int>(std::size(what));
  at::Tensor all = at::zeros({world, n, kPieces}, at::kDouble);
  for (int k = 0; k < n; ++k)
    for (int p = 0; p < kPieces; ++p)
      all[rank][k][p] = static_cast<double>(std::stoull(what[k].second.substr(static_cast<std::size_t>(p) * 12, 12), nullptr, 16));
  par_->all_reduce_sum(all);
  for (int k = 0; k < n; ++k)
    for (int r = 1; r < world; ++r)
      if (!at::equal(all[r][k], all[0][k]))
        throw Error(fmt::format("rank {} and rank 0 differ in {}: every rank must run the same experiment on the same "
                                "data. Start all ranks from one experiment file with the same --set options (the "
                                "launcher, torchrun and srun pass the same command line), on identical data files",
                                r, what[k].first));
  host_logger()->debug("ranks agree on the experiment and the data ({} ranks)", world);
}

std::vector<MicroBatch> Trainer::step_batches(std::int64_t step) {
  if (step == prefetched_step_) {
    prefetched_step_ = -1;
    return std::move(prefetched_);
  }
  std::vector<MicroBatch> batches;
  for (const auto& mb : plan_.steps[static_cast<std::size_t>(step)]) {
    batches.push_back(collate(*train_set_, mb, pad_id_));
    // Staged now rather than in the forward (to_device_async). The labels stay on the host: the
    // loss picks its targets there and stages those.
    if (cfg_.run.device.is_cuda()) batches.back().input_ids = batches.back().input_ids.pin_memory();
  }
  return batches;
}

void Trainer::prefetch(std::int64_t step) {
  if (step >= static_cast<std::int64_t>(plan_.steps.size())) return;
  prefetched_ = step_batches(step);
  prefetched_step_ = step;
}

double Trainer::train_step(std::int64_t step) {
  const double lr = sched_.at(step);
  const std::vector<MicroBatch> batches = step_batches(step);
  double local_units = 0;
  std::vector<TokenBatch> tb;
  for (const MicroBatch& b : batches) {
    progress_->add_tokens(b.tokens);
    tb.push_back(TokenBatch{b.input_ids, b.labels, b.loss_tokens, {}});
    local_units += objective_->units(tb.back());
  }
  // The objective's normaliser over the whole global batch, so that accumulation and the
  // number of ranks do not change the loss.
  at::Tensor units = at::scalar_tensor(local_units, at::kDouble);
  par_->all_reduce_sum(units);
  const double global_units = std::max(1.0, units.item<double>());
  at::Tensor loss_sum = forward_backward(tb, global_units, step).to(at::kDouble);
  par_->all_reduce_sum(loss_sum);
  PendingScalar pending_loss(loss_sum);  // reaches the host during the norm's own sync
  prefetch(step + 1);  // host work done while the device still runs the backward, not after the sync
  const double grad_norm = par_->clip_grad_norm(cfg_.training.max_grad_norm);
  if (!std::isfinite(grad_norm)) diverged(step + 1, fmt::format("the gradient norm is {}", grad_norm));  // before the update
  optimizer_->step(lr);
  for (auto& [n, p] : params_) p.mutable_grad() = at::Tensor();
  par_->after_step();
  const double loss = pending_loss.get() / global_units;
  if (!std::isfinite(loss)) diverged(step + 1, fmt::format("the training loss is {}", loss));
  summary_.losses.push_back(loss);
  progress_->tick(step + 1, loss);
  if (progress_->due(step + 1)) {
    auto m = progress_->report(step + 1, loss, lr, grad_norm);
    if (metrics_) metrics_->write("train", step + 1, m);
  }
  return loss;
}

// Every rank sees the same global loss and gradient norm, so all of them stop here together.
// The sinks finish what they hold (the last good checkpoint); nothing of this step is saved.
void Trainer::diverged(std::int64_t step, const std::string& what) {
  ckpt_->flush();
  throw Error(divergence_message(step, what, cfg_.training, cfg_.model, ckpt_->last_saved(), run_dir_));
}

// A rank without a micro-batch in this step (the partial last global batch) still calls the
// hooks once with last = true, so that gradient synchronisation runs on every rank.
at::Tensor Trainer::forward_backward(const std::vector<TokenBatch>& batches, double global_units, std::int64_t step) {
  at::Tensor sum = at::scalar_tensor(0.0, at::TensorOptions().dtype(at::kFloat).device(cfg_.run.device));
  if (batches.empty()) {
    par_->before_backward(true);
    par_->after_backward(true);
    return sum;
  }
  for (std::size_t m = 0; m < batches.size(); ++m) {
    const bool last = m + 1 == batches.size();
    const auto global_mb = static_cast<std::uint64_t>(m) * static_cast<std::uint64_t>(par_->world_size()) +
                           static_cast<std::uint64_t>(par_->rank());
    at::manual_seed(micro_batch_seed(cfg_.run.seed, step, global_mb));
    par_->before_backward(last);
    at::Tensor l = objective_->loss_sum(*objective_model_, batches[m]);
    (l / global_units).backward();
    par_->after_backward(last);
    sum = sum + l.detach();
  }
  return sum;
}

TrainSummary train(const Experiment& exp, const fs::path& run_dir, const TrainOptions& opts) {
  Trainer trainer(exp, run_dir, opts);
  try {
    return trainer.fit();
  } catch (const ConfigError& e) {
    throw ConfigError(e.what());
  } catch (const PluginError& e) {
    throw PluginError(e.what());
  } catch (const std::exception& e) {
    // An exception object a plugin made must not outlive the plugin's library, which may be
    // unloaded while the trainer unwinds: the host's own copy goes on.
    throw Error(e.what());
  }
}

}  // namespace socrates
