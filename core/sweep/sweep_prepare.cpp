#include "sweep/sweep_prepare.hpp"

#include <chrono>
#include <cmath>
#include <ctime>
#include <map>

#include "config/toml_value.hpp"
#include "io/atomic_file.hpp"
#include "plugin/components.hpp"
#include "socrates/dataset.hpp"
#include "socrates/error.hpp"
#include "sweep/variant_config.hpp"
#include "sweep/variant_plan.hpp"

namespace fs = std::filesystem;

namespace socrates::sweep {

namespace {

VariantInput input_for(const SweepSpec& spec, const std::string& name, const std::vector<Override>& own,
                       const fs::path& sweep_dir) {
  VariantInput in{name, spec.base, spec.common};
  in.overrides.insert(in.overrides.end(), own.begin(), own.end());
  in.overrides.push_back(Override{"run.name", Value(name), "sweep", {}});
  in.overrides.push_back(Override{"run.output_dir", Value(sweep_dir.string()), "sweep", {}});
  return in;
}

void check_base(const SweepSpec& spec) {
  if (spec.base.empty()) {
    throw ConfigError(spec.base_origin + ": [sweep] needs 'base', the experiment every variant starts from (e.g. "
                      "base = \"../quickstart.toml\"), or give it with --base");
  }
  if (!fs::is_regular_file(spec.base)) {
    throw ConfigError(spec.base_origin + ": the base experiment " + spec.base.string() + " does not exist");
  }
}

}  // namespace

fs::path sweep_output_dir(const SweepSpec& spec, PluginCatalog& catalog) {
  check_base(spec);
  if (spec.output_dir) return fs::absolute(*spec.output_dir).lexically_normal();
  ExperimentFile file = ExperimentFile::load(spec.base);
  for (const Override& o : spec.common) file.apply_override(o.text(), o.origin, o.dir);
  return Experiment::resolve(std::move(file), catalog).settings().run.output_dir;
}

std::vector<PreparedVariant> prepare_variants(const SweepSpec& spec, const fs::path& sweep_dir,
                                              PluginCatalog& catalog) {
  check_spec(spec);
  check_base(spec);
  std::vector<PreparedVariant> out;
  for (const VariantPlan& plan : expand_variants(spec)) {
    if (spec.seeds <= 1) {
      Experiment exp = resolve_variant(input_for(spec, plan.name, plan.overrides, sweep_dir), catalog);
      out.push_back(PreparedVariant{plan.name, plan.name, std::nullopt, plan.overrides, std::move(exp)});
      continue;
    }
    const Experiment first = resolve_variant(input_for(spec, plan.name, plan.overrides, sweep_dir), catalog);
    const auto seed0 = static_cast<std::int64_t>(first.settings().run.seed);
    for (int i = 0; i < spec.seeds; ++i) {
      const std::int64_t seed = seed0 + i;
      const std::string name = plan.name + "-seed" + std::to_string(seed);
      std::vector<Override> own = plan.overrides;
      own.push_back(Override{"run.seed", Value(seed), "--seeds", {}});
      Experiment exp = resolve_variant(input_for(spec, name, own, sweep_dir), catalog);
      out.push_back(PreparedVariant{name, plan.name, seed, std::move(own), std::move(exp)});
    }
  }
  return out;
}

fs::path next_sweep_dir(const fs::path& output_dir, const std::string& name) {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  for (int i = 0;; ++i) {
    const fs::path dir = output_dir / (name + "-" + stamp + (i > 0 ? "-" + std::to_string(i) : ""));
    if (!fs::exists(dir)) return fs::absolute(dir).lexically_normal();
  }
}

bool claim_sweep_dir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir.parent_path(), ec);
  if (ec) throw Error("cannot create the output directory " + dir.parent_path().string() + ": " + ec.message());
  if (fs::create_directory(dir, ec)) return true;  // atomic: false if it exists
  if (ec) throw Error("cannot create the sweep directory " + dir.string() + ": " + ec.message());
  return false;
}

SweepState write_sweep(const SweepSpec& spec, const fs::path& sweep_dir, const std::vector<PreparedVariant>& variants,
                       const std::vector<std::string>& command) {
  SweepState s;
  s.name = spec.name;
  s.dir = fs::absolute(sweep_dir).lexically_normal();
  s.sweep_file = fs::absolute(spec.file).lexically_normal();
  s.base = fs::absolute(spec.base).lexically_normal();
  s.created_at = utc_now();
  s.command = command;
  for (const Override& o : spec.common) s.common.push_back(o.text());
  s.swept = swept_keys(spec);
  s.seeds = spec.seeds;
  for (const PreparedVariant& p : variants) {
    const fs::path run_dir = s.dir / p.name;
    std::error_code ec;
    fs::create_directory(run_dir, ec);
    if (ec) throw Error("cannot create the run directory " + run_dir.string() + ": " + ec.message());
    write_file_atomic(run_dir / "config.resolved.toml", p.experiment.to_toml());
    VariantState v;
    v.name = p.name;
    v.group = p.group;
    v.seed = p.seed;
    for (const Override& o : p.overrides) v.overrides.emplace_back(o.key, o.value);
    v.run_dir = p.name;
    s.variants.push_back(std::move(v));
  }
  save_state(s);
  return s;
}

std::int64_t estimate_steps(const Experiment& exp) {
  const TrainingSettings& t = exp.settings().training;
  if (t.max_steps > 0) return t.max_steps;
  // Reading a dataset can take a while: remember row counts per [dataset] section.
  static std::map<std::string, std::size_t> rows_by_section;
  const auto it = exp.root().find("dataset");
  const std::string key = it == exp.root().end() ? std::string() : to_toml_value_text(it->second);
  auto cached = rows_by_section.find(key);
  if (cached == rows_by_section.end()) {
    auto dataset = make_component<Dataset>(exp, "dataset", {});
    dataset->prepare();
    cached = rows_by_section.emplace(key, dataset->size(Partition::train)).first;
  }
  const auto n = static_cast<std::int64_t>(cached->second);
  const std::int64_t per_epoch = (n + t.global_batch_size - 1) / std::max<std::int64_t>(1, t.global_batch_size);
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(t.epochs * static_cast<double>(per_epoch))));
}

}  // namespace socrates::sweep
