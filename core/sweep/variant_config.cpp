#include "sweep/variant_config.hpp"

#include "io/atomic_file.hpp"
#include "plugin/components.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates::sweep {

Experiment resolve_variant(const VariantInput& in, PluginCatalog& catalog) {
  try {
    ExperimentFile file = ExperimentFile::load(in.base);
    for (const Override& o : in.overrides) file.apply_override(o.text(), o.origin, o.dir);
    Experiment exp = Experiment::resolve(std::move(file), catalog);
    for (const PluginUse& use : exp.plugins()) instantiate(use, make_context(exp, use, {}));
    return exp;
  } catch (const ConfigError& e) {
    std::string list;
    for (const Override& o : in.overrides) {
      if (o.key.rfind("run.name", 0) == 0 || o.key.rfind("run.output_dir", 0) == 0) continue;
      list += (list.empty() ? "" : ", ") + o.text();
    }
    throw ConfigError(std::string(e.what()) + "\n  in sweep variant '" + in.name + "' (base " + in.base.string() +
                      (list.empty() ? "" : "; overrides " + list) + ")");
  }
}

void set_run_device(const fs::path& run_dir, const std::string& device, PluginCatalog& catalog) {
  const fs::path config = run_dir / "config.resolved.toml";
  if (Experiment::resolve(ExperimentFile::load(config), catalog).settings().run.device.str() == device) return;
  ExperimentFile file = ExperimentFile::load(config);
  file.apply_override("run.device=" + device, "--devices", {});
  write_file_atomic(config, Experiment::resolve(std::move(file), catalog).to_toml());
}

}  // namespace socrates::sweep
