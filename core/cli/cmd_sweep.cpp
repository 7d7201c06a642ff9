// socrates sweep SWEEP.toml | EXP.toml --grid ... | --resume DIR
#include <iostream>
#include <regex>

#include <fmt/format.h>

#include "cli/cli.hpp"
#include "compare/compare_report.hpp"
#include "log/logging.hpp"
#include "sweep/sweep_lock.hpp"
#include "sweep/sweep_prepare.hpp"
#include "sweep/sweep_runner.hpp"

namespace fs = std::filesystem;

namespace socrates::cli {

namespace {

struct SweepArgs {
  std::string file, resume, base, name, output_dir, devices, log_level, x;
  std::vector<std::string> grid, zip, sets;
  int seeds = 0;
  bool dry_run = false, no_compare = false;
};

std::vector<std::string> split_devices(const std::string& list) {
  std::vector<std::string> out;
  static const std::regex ok("cpu|cuda(:[0-9]+)?");
  std::size_t pos = 0;
  while (!list.empty() && pos <= list.size()) {
    std::size_t end = list.find(',', pos);
    if (end == std::string::npos) end = list.size();
    const std::string d = list.substr(pos, end - pos);
    if (!std::regex_match(d, ok)) {
      throw po::error("--devices: '" + d + "' is not a device (cpu, cuda or cuda:N; e.g. --devices cuda:0,cuda:1, or "
                      "--devices cpu,cpu for two variants at a time on the CPU)");
    }
    out.push_back(d);
    pos = end + 1;
  }
  return out;
}

sweep::SweepSpec build_spec(const SweepArgs& a) {
  sweep::SweepSpec spec =
      sweep::has_sweep_section(a.file) ? sweep::read_sweep_file(a.file) : sweep::sweep_of_experiment(a.file);
  if (!a.base.empty()) {
    spec.base = a.base;
    spec.base_origin = "--base " + a.base;
  }
  if (!a.name.empty()) spec.name = a.name;
  if (!a.output_dir.empty()) spec.output_dir = fs::absolute(a.output_dir);
  if (a.seeds > 0) spec.seeds = a.seeds;
  // A --grid/--zip axis replaces the file's axis of the same key (e.g. other values at full scale).
  auto put = [](std::vector<sweep::Axis>& axes, sweep::Axis axis) {
    for (sweep::Axis& a : axes) {
      if (a.key == axis.key) {
        a = std::move(axis);
        return;
      }
    }
    axes.push_back(std::move(axis));
  };
  for (const std::string& g : a.grid) put(spec.grid, sweep::parse_axis_argument("--grid", g));
  for (const std::string& z : a.zip) put(spec.zip, sweep::parse_axis_argument("--zip", z));
  for (const std::string& s : a.sets) spec.common.push_back(sweep::parse_set_argument(s));
  return spec;
}

std::string overrides_text(const std::vector<sweep::Override>& os) {
  std::string out;
  for (const sweep::Override& o : os) out += (out.empty() ? "" : ", ") + o.text();
  return out.empty() ? "(the base)" : out;
}

int dry_run(const sweep::SweepSpec& spec, PluginRegistry& registry) {
  const fs::path dir = sweep::sweep_output_dir(spec, registry) / (spec.name + "-<UTC time>");
  const auto variants = sweep::prepare_variants(spec, dir, registry);
  std::size_t w = 7;
  for (const auto& v : variants) w = std::max(w, v.name.size());
  std::cout << fmt::format("sweep '{}': {} runs of {} (every variant resolved and validated), into {}/\n", spec.name,
                           variants.size(), spec.base.string(), dir.string());
  if (!spec.common.empty()) std::cout << "every variant: " << overrides_text(spec.common) << "\n";
  std::cout << fmt::format("  {:<{}}  {:>10}  {}\n", "variant", w, "est. steps", "overrides");
  std::int64_t total = 0;
  for (const auto& v : variants) {
    const std::int64_t steps = sweep::estimate_steps(v.experiment);
    total += steps;
    std::cout << fmt::format("  {:<{}}  {:>10}  {}\n", v.name, w, steps, overrides_text(v.overrides));
  }
  std::cout << fmt::format("total estimated steps: {} (nothing was run: --dry-run)\n", total);
  return 0;
}

int finish(const sweep::SweepState& state, const sweep::RunTotals& t, const SweepArgs& a) {
  auto log = host_logger();
  log->info("sweep {}: {} finished ({} before this run), {} failed, {} interrupted, {} not started", state.dir.string(),
            t.finished + t.skipped, t.skipped, t.failed, t.interrupted,
            state.variants.size() - static_cast<std::size_t>(t.finished + t.skipped + t.failed + t.interrupted));
  if (t.stop_signal) {
    log->warn("continue with: socrates sweep --resume {}", state.dir.string());
    return 128 + t.stop_signal;
  }
  if (!a.no_compare) {
    // The runs are done whatever happens here: a comparison that fails is a warning.
    try {
      compare::CompareOptions o;
      o.axis = a.x;
      const auto res = compare::write_comparison({state.dir}, o);
      std::cout << res.table_markdown;
      log->info("comparison: {} ({} plots)", (res.out / "report.md").string(), res.plots.size());
    } catch (const Error& e) {
      log->warn("no comparison: {} (try again with: socrates compare {})", e.what(), state.dir.string());
    }
  }
  if (t.failed > 0) {
    for (const auto& v : state.variants)
      if (v.status == sweep::Status::failed) log->error("{} failed: {}", v.name, v.error);
    log->info("rerun the failed variants with: socrates sweep --resume {}", state.dir.string());
    return 1;
  }
  return 0;
}

sweep::RunOptions run_options(const SweepArgs& a) {
  sweep::RunOptions o;
  o.exe = fs::read_symlink("/proc/self/exe");
  o.devices = split_devices(a.devices);
  o.log_level = a.log_level;
  return o;
}

}  // namespace

int cmd_sweep(const std::vector<std::string>& args) {
  SweepArgs a;
  po::options_description opts("options");
  opts.add_options()("file", po::value<std::string>(&a.file), "sweep file ([sweep] section) or experiment file")(
      "grid", po::value<std::vector<std::string>>(&a.grid)->composing(),
      "grid axis section.key=[v1,v2,...] (repeatable; the variants are the Cartesian product)")(
      "zip", po::value<std::vector<std::string>>(&a.zip)->composing(),
      "zipped axis section.key=[v1,v2,...] (repeatable; zipped axes vary together)")(
      "set", po::value<std::vector<std::string>>(&a.sets)->composing(),
      "override for every variant: section.key=value (repeatable)")(
      "seeds", po::value<int>(&a.seeds), "runs per variant with seeds [run] seed, seed+1, ... (for error bars)")(
      "devices", po::value<std::string>(&a.devices),
      "run one variant per listed device at a time: cuda:0,cuda:1 (cpu,cpu: two on the CPU); default: one at a "
      "time, on the configured device")(
      "base", po::value<std::string>(&a.base), "the base experiment (instead of the sweep file's [sweep] base)")(
      "name", po::value<std::string>(&a.name), "the sweep's name (runs/<name>-<time>/)")(
      "output-dir", po::value<std::string>(&a.output_dir), "where the sweep directory goes (default: the base's "
      "[run] output_dir)")(
      "dry-run", po::bool_switch(&a.dry_run), "validate every variant, print them and the estimated steps; run nothing")(
      "resume", po::value<std::string>(&a.resume),
      "continue the sweep in DIR: skip finished variants, resume interrupted ones from their checkpoints")(
      "no-compare", po::bool_switch(&a.no_compare), "do not write the comparison (<sweep>/compare/) at the end")(
      "x", po::value<std::string>(&a.x), "the key to plot W1 against in the comparison (default: the first numeric one)");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  if (!parse(args, opts, pos, vm,
             "socrates sweep SWEEP.toml [--seeds N] [--devices LIST] [--dry-run]\n"
             "       socrates sweep EXP.toml --grid 'adapter.r=[16,32]' [--zip ...] [--set section.key=value]...\n"
             "       socrates sweep --resume DIR [--devices LIST]"))
    return 0;
  a.log_level = vm["log-level"].as<std::string>();
  auto log = host_logger();
  PluginRegistry registry = default_registry();

  if (!a.resume.empty()) {
    if (!a.file.empty() || !a.grid.empty() || !a.zip.empty() || !a.sets.empty() || a.seeds || !a.base.empty() ||
        !a.name.empty() || !a.output_dir.empty() || a.dry_run) {
      throw po::error("--resume DIR continues a sweep as it was created; only --devices, --no-compare and --x go "
                      "with it");
    }
    const fs::path dir = fs::absolute(a.resume).lexically_normal();
    sweep::SweepState state = sweep::load_state(dir);
    sweep::SweepLock lock(dir, 120.0);
    std::size_t done = 0;
    for (const auto& v : state.variants) done += v.status == sweep::Status::finished;
    log->info("resuming sweep {}: {} of {} variants finished", dir.string(), done, state.variants.size());
    const sweep::RunTotals t = sweep::run_variants(state, run_options(a), registry);
    return finish(state, t, a);
  }

  if (a.file.empty()) throw po::error("give a sweep file, an experiment file with --grid/--zip, or --resume DIR");
  const auto devices = split_devices(a.devices);
  sweep::SweepSpec spec = build_spec(a);
  if (!devices.empty()) {
    for (const auto& ax : spec.grid)
      if (ax.key == "run.device") throw po::error("--devices and a swept run.device (" + ax.origin + ") do not mix");
  }
  if (a.dry_run) return dry_run(spec, registry);

  // Every variant is validated before anything is created; the folder is claimed after.
  const fs::path out = sweep::sweep_output_dir(spec, registry);
  fs::path dir = sweep::next_sweep_dir(out, spec.name);
  std::vector<sweep::PreparedVariant> variants = sweep::prepare_variants(spec, dir, registry);
  while (!sweep::claim_sweep_dir(dir)) {  // another sweep took the name meanwhile
    dir = sweep::next_sweep_dir(out, spec.name);
    variants = sweep::prepare_variants(spec, dir, registry);
  }
  sweep::SweepLock lock(dir, 0.0);
  std::vector<std::string> command{"socrates", "sweep"};
  command.insert(command.end(), args.begin(), args.end());
  sweep::SweepState state = sweep::write_sweep(spec, dir, variants, command);
  log->info("sweep {}: {} runs, every one validated; sweep.json in {}", spec.name, state.variants.size(), dir.string());
  const sweep::RunTotals t = sweep::run_variants(state, run_options(a), registry);
  return finish(state, t, a);
}

}  // namespace socrates::cli
