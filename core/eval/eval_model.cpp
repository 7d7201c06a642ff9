#include "eval/eval_model.hpp"

#include "log/logging.hpp"
#include "model/adapter_io.hpp"
#include "plugin/host_services.hpp"
#include "data/pipeline.hpp"
#include "model/model_loader.hpp"
#include "plugin/components.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {

/// Creates plugin `name` of `Interface`'s concern with every option at its default.
template <class Interface>
std::shared_ptr<Interface> create_with_defaults(const PluginRegistry& registry, const std::string& slot,
                                                const std::string& name, c10::Device device) {
  const std::shared_ptr<PluginLibrary> lib = registry.find(Interface::kConcern, name);
  Table cfg;
  std::map<std::string, std::string, std::less<>> origins;
  for (const OptionSpec& o : lib->info().options) {
    if (!o.default_value)
      throw ConfigError(lib->info().path.string() + ": plugin '" + name + "' needs option '" + o.key +
                        "', which has no default; use an experiment file that sets [" + slot + "] " + o.key);
    cfg.emplace(o.key, *o.default_value);
    origins.emplace(o.key, "default");
  }
  PluginContext ctx;
  ctx.logger = host_logger();
  ctx.device = device;
  ctx.config = ConfigSection(slot, std::move(cfg), std::move(origins));
  ctx.host = &host_services();
  return lib->create<Interface>(ctx);
}

void attach(EvalModel& m, const PluginRegistry& registry, const std::optional<fs::path>& adapter_dir) {
  if (!adapter_dir) return;
  m.adapter = attach_peft_adapter(registry, *m.model, *adapter_dir);
  host_logger()->info("adapter: {} attached (evaluation mode)", adapter_dir->string());
}

}  // namespace

EvalModel open_eval_model(const Experiment& exp, const fs::path& run_dir, const std::optional<fs::path>& adapter_dir) {
  EvalModel m;
  m.format = make_component<PromptFormat>(exp, "prompt", run_dir);
  m.tokenizer = load_tokenizer(exp.settings().model, exp.source().file());
  m.model = load_model(exp.settings().model, exp.settings().run);
  if (adapter_dir) {
    // The lora plugin: from the default directories and the experiment's [plugins] paths.
    PluginRegistry registry;
    registry.scan_defaults();
    for (const fs::path& dir : exp.settings().plugins.paths) registry.scan(dir);
    attach(m, registry, adapter_dir);
  }
  return m;
}

EvalModel open_eval_model(const PluginRegistry& registry, const fs::path& model_dir,
                          const std::optional<fs::path>& tokenizer, const std::string& format_name, c10::Device device,
                          std::optional<c10::ScalarType> dtype, const std::optional<fs::path>& adapter_dir) {
  EvalModel m;
  m.format = create_with_defaults<PromptFormat>(registry, "prompt", format_name, device);
  const fs::path tok = tokenizer ? *tokenizer : model_dir / "tokenizer.json";
  if (!tokenizer && !fs::exists(tok))
    throw ConfigError(model_dir.string() + ": no tokenizer.json in the model folder; give one with --tokenizer FILE");
  m.tokenizer = BpeTokenizer::from_file(tok);
  m.model = CausalLM::load(model_dir, device, dtype);
  attach(m, registry, adapter_dir);
  return m;
}

}  // namespace socrates
