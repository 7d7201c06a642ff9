#include "checkpoint/sinks.hpp"

#include "log/logging.hpp"
#include "plugin/plugin_registry.hpp"
#include "plugin/components.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {

// The `local` plugin with every option at its default, as if the experiment had
// [[checkpoint.sinks]] plugin = "local".
PluginUse default_local_sink(const Experiment& exp) {
  PluginRegistry registry;
  for (const fs::path& dir : exp.settings().plugins.paths) registry.scan(dir);
  registry.scan_defaults();
  std::shared_ptr<PluginLibrary> lib = registry.find(CheckpointSink::kConcern, "local");
  Table values;
  std::map<std::string, std::string, std::less<>> origins;
  for (const OptionSpec& o : lib->info().options) {
    if (!o.default_value) continue;
    values.emplace(o.key, *o.default_value);
    origins[o.key] = "default";
  }
  const std::string slot = "checkpoint.sinks[default]";
  return PluginUse{slot, CheckpointSink::kConcern, "local", ConfigSection(slot, std::move(values), std::move(origins)), lib};
}

}  // namespace

std::vector<SinkHandle> create_sinks(const Experiment& exp, const fs::path& run_dir) {
  std::vector<SinkHandle> out;
  for (const PluginUse* use : exp.plugins_in("checkpoint.sinks"))
    out.push_back({use->name, use->slot, use->library->create<CheckpointSink>(make_context(exp, *use, run_dir))});
  if (out.empty()) {
    const PluginUse use = default_local_sink(exp);
    host_logger()->info("checkpoints: no [[checkpoint.sinks]] configured; using the local sink with its defaults ({})",
                        (run_dir / "checkpoints").string());
    out.push_back({"local", "default sink", use.library->create<CheckpointSink>(make_context(exp, use, run_dir))});
  }
  return out;
}

}  // namespace socrates
