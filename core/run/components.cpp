#include "run/components.hpp"

#include <cstdlib>

#include "log/logging.hpp"
#include "run/host_services.hpp"
#include "socrates/sdk.hpp"

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

PluginContext make_context(const Experiment& exp, const PluginUse& use, const std::filesystem::path& run_dir) {
  const ConfigSection run = exp.section("run");
  PluginContext ctx;
  ctx.logger = host_logger();
  ctx.device = c10::Device(run.get<std::string>("device"));
  ctx.run_dir = run_dir;
  ctx.config = use.config;
  ctx.seed = static_cast<std::uint64_t>(run.get<std::int64_t>("seed"));
  ctx.rank = env_int("RANK", 0);
  ctx.world_size = env_int("WORLD_SIZE", 1);
  ctx.local_rank = env_int("LOCAL_RANK", 0);
  ctx.host = &host_services();
  return ctx;
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
  PluginLibrary& lib = *use.library;
  const std::string& c = use.concern;
  if (c == Dataset::kConcern) return lib.create<Dataset>(ctx);
  if (c == PromptFormat::kConcern) return lib.create<PromptFormat>(ctx);
  if (c == Adapter::kConcern) return lib.create<Adapter>(ctx);
  if (c == Optimizer::kConcern) return lib.create<Optimizer>(ctx);
  if (c == Parallelism::kConcern) return lib.create<Parallelism>(ctx);
  if (c == CheckpointSink::kConcern) return lib.create<CheckpointSink>(ctx);
  if (c == Evaluator::kConcern) return lib.create<Evaluator>(ctx);
  throw PluginError("no interface for concern '" + c + "'");
}

}  // namespace socrates
