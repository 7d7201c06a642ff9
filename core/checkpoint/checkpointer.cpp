#include "checkpoint/checkpointer.hpp"

#include <csignal>
#include <fstream>
#include <sstream>

#include <ATen/ops/scalar_tensor.h>
#include <ATen/ops/zeros.h>

#include "checkpoint/durable.hpp"
#include "checkpoint/layout.hpp"
#include "checkpoint/locate.hpp"
#include "log/logging.hpp"
#include "io/atomic_file.hpp"

namespace fs = std::filesystem;

namespace socrates {

Checkpointer::Checkpointer(const CheckpointSettings& settings, std::string config_toml, fs::path run_dir,
                           std::vector<SinkHandle> sinks, TrainingParts parts, Parallelism& par, TrainerState base,
                           std::function<double(std::int64_t)> lr_at)
    : run_dir_(std::move(run_dir)),
      parts_(parts),
      par_(&par),
      base_(std::move(base)),
      lr_at_(std::move(lr_at)),
      config_toml_(std::move(config_toml)),
      save_every_(settings.save_every),
      continue_on_error_(settings.continue_on_error),
      sinks_(std::move(sinks)) {
  // Staged checkpoints of an earlier process that died before it finished a save.
  const fs::path staging = run_dir_ / ckpt::kStagingDir;
  std::error_code ec;
  if (parts_.rank == 0 && fs::exists(staging, ec)) {
    host_logger()->info("checkpoints: removing {}, left over by an interrupted save", staging.string());
    remove_tree(staging);
  }
}

std::optional<TrainerState> Checkpointer::resume() {
  auto log = host_logger();
  std::optional<LocatedCheckpoint> found = locate_checkpoint(sinks_, run_dir_ / ckpt::kStagingDir);
  if (!found) {
    std::string where;
    for (const SinkHandle& s : sinks_) where += (where.empty() ? "" : ", ") + s.label();
    log->info("resume: no complete checkpoint in any sink ({}); starting from step 0", where);
    std::error_code ec;
    if (parts_.rank == 0 && fs::file_size(run_dir_ / ckpt::kMetrics, ec) > 0 && !ec) {
      log->info("resume: clearing {} (it holds metrics of steps that no checkpoint kept)",
                (run_dir_ / ckpt::kMetrics).string());
      write_file_atomic(run_dir_ / ckpt::kMetrics, "");
    }
    return std::nullopt;
  }
  TrainerState saved = read_trainer_state(found->dir);
  if (saved.step != found->step)
    throw Error((found->dir / ckpt::kTrainerState).string() + ": says step " + std::to_string(saved.step) +
                " but the checkpoint is step " + std::to_string(found->step));
  check_resumable(saved, base_, found->dir);
  if (saved.world_size != base_.world_size)
    log->info("resume: checkpoint saved by {} rank{}, continuing on {}: the data order is global and the optimizer "
              "state is merged by tensor name",
              saved.world_size, saved.world_size == 1 ? "" : "s", base_.world_size);
  for (const std::string& w : restore_parts(found->dir, parts_)) log->warn("resume: {}", w);
  if (parts_.rank == 0) {
    // Drop the metrics of steps after the checkpoint (a crash left them behind).
    std::ifstream in(found->dir / ckpt::kMetrics, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    write_file_atomic(run_dir_ / ckpt::kMetrics, ss.str());
  }
  if (found->fetched) remove_tree(found->dir);
  last_saved_ = saved.step;
  log->info("resumed from checkpoint step {} of {} ({}, {}): epoch {:.2f}, next lr {:.4g}", saved.step,
            saved.total_steps, found->source, found->fetched ? "fetched" : found->dir.string(), saved.epoch,
            lr_at_(saved.step));
  return saved;
}

bool Checkpointer::due(std::int64_t step) const {
  return save_every_ > 0 && step % save_every_ == 0 && step < base_.total_steps;
}

bool Checkpointer::save(std::int64_t step, const std::vector<double>& losses, const std::vector<double>& eval_losses) {
  if (step == last_saved_) return true;
  auto log = host_logger();
  const fs::path stage = run_dir_ / ckpt::kStagingDir / ckpt::step_dir_name(step);
  const bool root = parts_.rank == 0;
  std::string mine;  // what went wrong on this rank in the current phase ("" = nothing)
  // After each phase every rank learns which ranks failed, so that all of them keep the
  // checkpoint or all drop it, and nobody waits in a collective for a rank that gave up.
  auto agree = [&](const char* phase) {
    at::Tensor bad = at::zeros({parts_.world_size}, at::kDouble);
    if (!mine.empty()) bad[parts_.rank] = 1.0;
    par_->all_reduce_sum(bad);
    std::string who;
    for (int r = 0; r < parts_.world_size; ++r)
      if (bad[r].item<double>() > 0) who += (who.empty() ? "" : ", ") + std::to_string(r);
    if (who.empty()) return;
    if (!mine.empty()) throw Error(mine);
    throw Error("rank " + who + " could not " + phase + " (its own lines in run.log say why)");
  };
  auto attempt = [&](const std::function<void()>& work) {
    try {
      work();
    } catch (const std::exception& e) {
      mine = e.what();
    }
  };
  try {
    attempt([&] {
      if (!root) return;
      if (const std::string e = remove_tree(stage); !e.empty())
        throw Error("cannot remove the leftover " + stage.string() + ": " + e);
      fs::create_directories(stage);
    });
    agree("prepare the staging folder");
    attempt([&] {
      write_rank_files(stage, parts_);
      mine = verify_rank_files(stage, parts_);  // read back before rank 0 may seal
    });
    agree("write its checkpoint files");
    // Every rank's files are on disk and read back: rank 0 completes and seals the checkpoint.
    attempt([&] {
      if (!root) return;
      TrainerState s = base_;
      s.step = step;
      s.data_position = step;
      s.epoch = static_cast<double>(step) / static_cast<double>(std::max<std::int64_t>(1, s.steps_per_epoch));
      s.next_lr = lr_at_(step);
      s.losses = losses;
      s.eval_losses = eval_losses;
      write_shared_files(stage, parts_, s, config_toml_, run_dir_);
      const auto metrics = step_metrics(run_dir_ / ckpt::kMetrics, step, losses.empty() ? 0.0 : losses.back());
      seal_checkpoint(stage, step, metrics);
      // Every sink gets its chance even if one fails (a full local disk must not keep the
      // checkpoint from the remote sink); then the failures are reported together.
      std::string failures;
      for (SinkHandle& s : sinks_) {
        try {
          s.sink->put(CheckpointRef{step, stage, metrics});
        } catch (const std::exception& e) {
          failures += (failures.empty() ? "" : "\n") + s.label() + ": " + e.what();
        }
      }
      if (!failures.empty()) throw Error(failures);
      remove_tree(stage);
      log->info("checkpoint step {} saved to {} sink{}", step, sinks_.size(), sinks_.size() == 1 ? "" : "s");
    });
    agree("seal the checkpoint");
  } catch (const std::exception& e) {
    if (root) remove_tree(stage);
    const std::string what = "checkpoint step " + std::to_string(step) + " could not be saved: " + e.what();
    if (continue_on_error_) {
      log->error("{}\nTraining goes on ([checkpoint] on_save_error = \"continue\"); the previous checkpoint is intact.",
                 what);
      return false;
    }
    throw Error(what + "\nThe previous checkpoint is intact. Fix the cause (free space, ...), then continue with: "
                       "socrates resume " + run_dir_.string());
  }
  last_saved_ = step;
  return true;
}

void Checkpointer::flush() {
  // Every sink is flushed even if one fails; the failures are rethrown as the host's own
  // Error: an exception object made by a plugin must not outlive its library, which is
  // unloaded when the sinks are destroyed during unwinding (what() would then crash).
  std::string failures;
  for (SinkHandle& s : sinks_) {
    try {
      s.sink->flush();
    } catch (const std::exception& e) {
      failures += (failures.empty() ? "" : "\n") + s.label() + ": " + e.what();
    }
  }
  if (!failures.empty()) throw Error(failures);
}

int Checkpointer::stop_requested() {
  int signo = StopSignals::pending();
  if (par_->world_size() > 1) {
    at::Tensor t = at::scalar_tensor(signo != 0 ? 1.0 : 0.0, at::kDouble);
    par_->all_reduce_sum(t);
    if (signo == 0 && t.item<double>() > 0) signo = SIGTERM;  // another rank was told to stop
  }
  return signo;
}

void Checkpointer::stop(int signo, std::int64_t step, const std::vector<double>& losses,
                        const std::vector<double>& eval_losses) {
  save(step, losses, eval_losses);
  flush();
  host_logger()->warn("stopped by {} at step {}; resume with: socrates resume {}", StopSignals::name(signo), step,
                      run_dir_.string());
}

}  // namespace socrates
