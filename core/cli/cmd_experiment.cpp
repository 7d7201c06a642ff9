// socrates run | resume | validate | config show
#include <iostream>
#include <optional>

#include <cstdlib>

#include <fmt/format.h>

#include "checkpoint/latest_run.hpp"
#include "cli/cli.hpp"
#include "cli/dist_env.hpp"
#include "cli/launcher.hpp"
#include "cli/run_rendezvous.hpp"
#include "log/logging.hpp"
#include "io/run_dir.hpp"
#include "io/run_lock.hpp"
#include "train/trainer.hpp"

namespace socrates::cli {

namespace {
struct ExperimentArgs {
  std::string file;
  std::vector<std::string> sets;
};

bool parse_experiment_args(const std::vector<std::string>& args, const std::string& usage, ExperimentArgs& out,
                           std::string* resume = nullptr, LaunchOptions* launch = nullptr) {
  po::options_description opts("options");
  opts.add_options()("experiment", po::value<std::string>(&out.file)->required(), "experiment TOML file")(
      "set", po::value<std::vector<std::string>>(&out.sets)->composing(),
      "override: section.key=value (repeatable; value is TOML or a bare string)");
  if (resume) {
    opts.add_options()("resume", po::value<std::string>(resume)->default_value("never"),
                       "auto: continue the newest run directory of this experiment from its newest checkpoint "
                       "(over all sinks), or start one if there is none; never: always a new run");
  }
  if (launch) add_launch_options(opts, *launch);
  po::positional_options_description pos;
  pos.add("experiment", 1);
  po::variables_map vm;
  return parse(args, opts, pos, vm, usage);
}
// Validates the experiment as the ranks will see it (WORLD_SIZE set), so that a bad option or
// a single-process plugin fails once, here, instead of in every rank.
void check_before_launch(const Experiment& exp, const LaunchOptions& lo) {
  setenv("WORLD_SIZE", std::to_string(lo.nnodes * lo.nproc_per_node).c_str(), 1);
  try {
    check_components(exp, {});
  } catch (...) {
    unsetenv("WORLD_SIZE");
    throw;
  }
  unsetenv("WORLD_SIZE");
}

// This process as one rank: the torchrun/SLURM environment, the rank's log prefix.
DistEnv become_rank() {
  DistEnv env = resolve_dist_env();
  set_log_rank(env.rank, env.world_size);
  return env;
}

void log_rank(const DistEnv& env, const Experiment& exp) {
  if (env.world_size > 1)
    host_logger()->info("rank {} of {} (local rank {} of {}, from {}), device {}, rendezvous {}:{}", env.rank,
                        env.world_size, env.local_rank, env.local_world_size, env.source,
                        exp.settings().run.device.str(), env.master_addr, env.master_port);
}
}  // namespace

int cmd_validate(const std::vector<std::string>& args) {
  ExperimentArgs a;
  if (!parse_experiment_args(args, "socrates validate EXP.toml [--set section.key=value]...", a)) return 0;
  PluginRegistry registry = default_registry();
  Experiment exp = load_experiment(a.file, a.sets, registry);
  check_components(exp, {});
  auto log = host_logger();
  for (const PluginUse& use : exp.plugins()) {
    log->info("[{}] {} plugin '{}' {} ({})", use.slot, use.concern, use.name, use.library->info().version,
              use.library->info().path.string());
  }
  log->info("{}: valid ({} files, {} plugins)", a.file, exp.source().files().size(), exp.plugins().size());
  return 0;
}

int cmd_config_show(const std::vector<std::string>& args) {
  ExperimentArgs a;
  if (!parse_experiment_args(args, "socrates config show EXP.toml [--set section.key=value]...", a)) return 0;
  PluginRegistry registry = default_registry();
  std::cout << load_experiment(a.file, a.sets, registry).to_toml();
  return 0;
}

// This rank's lock on the run directory (docs/checkpoints.md, "One writer per run"); says so
// when it takes over the lock of a process that died holding it.
static std::optional<RunLock> lock_run(const std::filesystem::path& dir) {
  auto lock = RunLock::acquire_for_rank(dir);
  if (lock && !lock->previous().empty())
    host_logger()->warn("taking over the run lock left by {}, which ended without releasing it", lock->previous());
  return lock;
}

// The end-of-training summary; the exit status (128 + signal after a SIGTERM/SIGINT stop).
static int report(const TrainSummary& s, const std::filesystem::path& dir) {
  auto log = host_logger();
  if (s.stop_signal != 0) return 128 + s.stop_signal;
  log->info("── summary ──────────────────────────────────────────────");
  log->info("{} steps in {:.1f}s ({:.0f} tokens/s{})", s.steps, s.seconds, s.tokens_per_second,
            s.mfu > 0 ? fmt::format(", MFU {:.1f}%, HFU {:.1f}%", 100 * s.mfu, 100 * s.hfu) : "");
  if (!s.losses.empty()) {
    const std::size_t k = std::max<std::size_t>(1, s.losses.size() / 10);
    double first = 0, last = 0;
    for (std::size_t i = 0; i < k; ++i) first += s.losses[i], last += s.losses[s.losses.size() - 1 - i];
    log->info("training loss {:.4f} -> {:.4f} (mean of the first and last {} steps)", first / k, last / k, k);
  }
  if (s.eval_losses.size() >= 2)
    log->info("validation loss {:.4f} -> {:.4f}", s.eval_losses.front(), s.eval_losses.back());
  if (!s.eval_summary.empty()) {
    log->info("evaluation (lower W1 is better):\n{}", s.eval_summary);
    log->info("report: {}", s.report.string());
  }
  log->info("adapter: {}", s.adapter_dir.string());
  log->info("metrics: {} (TensorBoard: {})", (dir / "metrics.jsonl").string(), (dir / "tensorboard").string());
  return 0;
}

int cmd_run(const std::vector<std::string>& args) {
  ExperimentArgs a;
  std::string resume;
  LaunchOptions lo;
  if (!parse_experiment_args(args,
                             "socrates run EXP.toml [--set section.key=value]... [--resume auto] "
                             "[--nproc-per-node N [--nnodes M --node-rank K --master-addr A --master-port P]]",
                             a, &resume, &lo))
    return 0;
  if (resume != "auto" && resume != "never")
    throw po::error("--resume takes 'auto' or 'never', got '" + resume + "'");
  PluginRegistry registry = default_registry();
  if (lo.nproc_per_node > 0) {
    check_before_launch(load_experiment(a.file, a.sets, registry), lo);
    return launch_ranks(lo, "run", args);
  }
  const DistEnv env = become_rank();
  Experiment exp = load_experiment(a.file, a.sets, registry);
  check_components(exp, {});
  bool reused = false;
  // Rank 0 picks (--resume auto) or creates the run directory; every rank uses it.
  const auto dir = agree_on_run_dir(env, [&] {
    std::optional<std::filesystem::path> reuse;
    if (resume == "auto") reuse = latest_run_dir(exp.settings().run.output_dir, exp.settings().run.name);
    reused = reuse.has_value();
    return reuse ? *reuse : create_run_dir(exp.settings().run.output_dir, exp.settings().run.name, exp.to_toml());
  });
  const auto lock = lock_run(dir);  // before anything is written: one writer per run directory (rank 0)
  log_to_file(dir / "run.log");
  auto log = host_logger();
  if (resume == "auto" && (reused || env.rank != 0)) {
    log->info("--resume auto: continuing the newest run directory {}", dir.string());
  } else {
    log->info("run directory {}", dir.string());
    log->info("resolved config written to {}", (dir / "config.resolved.toml").string());
  }
  log_rank(env, exp);
  TrainOptions opts;
  opts.resume = resume == "auto";
  return report(train(exp, dir, opts), dir);
}

int cmd_resume(const std::vector<std::string>& args) {
  std::string run_dir;
  LaunchOptions lo;
  po::options_description opts("options");
  opts.add_options()("run-dir", po::value<std::string>(&run_dir)->required(), "run directory (holds config.resolved.toml)");
  add_launch_options(opts, lo);
  po::positional_options_description pos;
  pos.add("run-dir", 1);
  po::variables_map vm;
  if (!parse(args, opts, pos, vm, "socrates resume RUN_DIR [--nproc-per-node N ...] (any number of ranks)")) return 0;
  const std::filesystem::path dir = std::filesystem::absolute(run_dir).lexically_normal();
  const std::filesystem::path config = dir / "config.resolved.toml";
  if (!std::filesystem::exists(config)) {
    throw Error(dir.string() + " is not a run directory: it has no config.resolved.toml. Give the folder that "
                "`socrates run` created (<output_dir>/<name>-<time>)");
  }
  const auto lock = lock_run(dir);  // at once, before loading anything: one writer per run directory
  PluginRegistry registry = default_registry();
  if (lo.nproc_per_node > 0) {
    check_before_launch(load_experiment(config.string(), {}, registry), lo);
    return launch_ranks(lo, "resume", args);
  }
  const DistEnv env = become_rank();
  Experiment exp = load_experiment(config.string(), {}, registry);
  check_components(exp, {});
  log_to_file(dir / "run.log");
  host_logger()->info("resuming run {}", dir.string());
  log_rank(env, exp);
  TrainOptions o;
  o.resume = true;
  return report(train(exp, dir, o), dir);
}

}  // namespace socrates::cli
