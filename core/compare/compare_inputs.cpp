#include "compare/compare_inputs.hpp"

#include "socrates/error.hpp"
#include "sweep/sweep_state.hpp"

namespace fs = std::filesystem;

namespace socrates::compare {

CompareInputs collect_runs(const std::vector<fs::path>& inputs) {
  CompareInputs out;
  for (const fs::path& in : inputs) {
    if (!fs::is_directory(in)) throw Error(in.string() + ": no such directory");
    if (!sweep::is_sweep_dir(in)) {
      out.runs.push_back(read_run(in));
      continue;
    }
    const sweep::SweepState s = sweep::load_state(in);
    out.sweep_dirs.push_back(s.dir);
    out.sweep_names.push_back(s.name);
    for (const sweep::VariantState& v : s.variants) {
      const fs::path dir = s.run_dir(v);
      RunRecord r;
      if (fs::is_regular_file(dir / "config.resolved.toml")) {
        r = read_run(dir);
      } else {
        r.dir = dir;
      }
      r.name = v.name;
      r.group = v.group;
      if (v.seed) r.seed = v.seed;
      r.swept = s.swept;
      r.status = sweep::to_string(v.status);
      r.error = v.error;
      if (v.seconds > 0) r.wall_seconds = v.seconds;
      if (!r.peak_mem_gib && v.max_rss_gib) r.peak_mem_gib = v.max_rss_gib;
      out.runs.push_back(std::move(r));
    }
  }
  if (out.runs.empty()) throw Error("nothing to compare: the inputs hold no runs");
  return out;
}

}  // namespace socrates::compare
