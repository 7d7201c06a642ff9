// socrates run | validate | config show
#include <iostream>

#include "cli/cli.hpp"
#include "log/logging.hpp"
#include "run/run_dir.hpp"
#include "train/trainer.hpp"

namespace socrates::cli {

namespace {
struct ExperimentArgs {
  std::string file;
  std::vector<std::string> sets;
};

bool parse_experiment_args(const std::vector<std::string>& args, const std::string& usage, ExperimentArgs& out) {
  po::options_description opts("options");
  opts.add_options()("experiment", po::value<std::string>(&out.file)->required(), "experiment TOML file")(
      "set", po::value<std::vector<std::string>>(&out.sets)->composing(),
      "override: section.key=value (repeatable; value is TOML or a bare string)");
  po::positional_options_description pos;
  pos.add("experiment", 1);
  po::variables_map vm;
  return parse(args, opts, pos, vm, usage);
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

int cmd_run(const std::vector<std::string>& args) {
  ExperimentArgs a;
  if (!parse_experiment_args(args, "socrates run EXP.toml [--set section.key=value]...", a)) return 0;
  PluginRegistry registry = default_registry();
  Experiment exp = load_experiment(a.file, a.sets, registry);
  check_components(exp, {});
  const auto dir = create_run_dir(exp);
  log_to_file(dir / "run.log");
  auto log = host_logger();
  log->info("run directory {}", dir.string());
  log->info("resolved config written to {}", (dir / "config.resolved.toml").string());
  TrainSummary s = train(exp, dir);
  log->info("── summary ──────────────────────────────────────────────");
  log->info("{} steps in {:.1f}s ({:.0f} tokens/s)", s.steps, s.seconds, s.tokens_per_second);
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

}  // namespace socrates::cli
