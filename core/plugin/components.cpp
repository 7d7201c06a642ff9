#include "plugin/components.hpp"

#include <cstdlib>

#include "log/logging.hpp"
#include "plugin/host_services.hpp"

namespace socrates {

namespace {
int env_int(const char* name, int fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  try {
    return std::stoi(v);
  } catch (const std::exception&) {
    throw ConfigError(std::string("environment variable ") + name + "='" + v + "' is not an integer");
  }
}
}  // namespace

PluginContext make_context(const RunSettings& run, const PluginUse& use, const std::filesystem::path& run_dir) {
  PluginContext ctx;
  ctx.logger = host_logger();
  ctx.device = run.device;
  ctx.run_dir = run_dir;
  ctx.config = use.config;
  ctx.seed = run.seed;
  ctx.rank = env_int("RANK", 0);
  ctx.world_size = env_int("WORLD_SIZE", 1);
  ctx.local_rank = env_int("LOCAL_RANK", 0);
  ctx.host = &host_services();
  return ctx;
}

PluginContext make_context(const Experiment& exp, const PluginUse& use, const std::filesystem::path& run_dir) {
  return make_context(exp.settings().run, use, run_dir);
}

PluginContext standalone_context(const PluginLibrary& lib, const std::string& section, Table cfg, std::uint64_t seed) {
  for (const OptionSpec& o : lib.info().options)
    if (!cfg.count(o.key) && o.default_value) cfg.emplace(o.key, *o.default_value);
  PluginContext ctx;
  ctx.logger = host_logger();
  ctx.seed = seed;
  ctx.config = ConfigSection(section, std::move(cfg));
  ctx.host = &host_services();
  return ctx;
}

std::shared_ptr<Component> instantiate(const PluginUse& use, const PluginContext& ctx) {
  return use.library->create_any(ctx);
}

}  // namespace socrates
