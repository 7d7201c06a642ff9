#include "model/adapter_io.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "log/logging.hpp"
#include "model/causal_lm.hpp"
#include "plugin/plugin_registry.hpp"
#include "plugin/host_services.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace socrates {

namespace {
constexpr const char* kAdapterPlugin = "lora";
}  // namespace

Table lora_options_from_peft(const fs::path& adapter_dir) {
  const fs::path file = adapter_dir / "adapter_config.json";
  const std::string f = file.string() + ": ";
  std::ifstream in(file);
  if (!in) throw Error(f + "cannot open (is " + adapter_dir.string() + " a PEFT adapter folder?)");
  std::stringstream ss;
  ss << in.rdbuf();
  json c;
  try {
    c = json::parse(ss.str());
  } catch (const json::exception& e) {
    throw Error(f + "not valid JSON: " + e.what());
  }
  if (!c.is_object()) throw Error(f + "expected a JSON object");
  const json type = c.value("peft_type", json(nullptr));
  if (type != "LORA") throw Error(f + "'peft_type' is " + type.dump() + ": only LoRA adapters (\"LORA\") are supported");

  auto number = [&](const char* key) -> const json& {
    if (!c.contains(key) || !c.at(key).is_number()) throw Error(f + "'" + key + "' is missing or not a number");
    return c.at(key);
  };
  Table t;
  if (!number("r").is_number_integer()) throw Error(f + "'r' must be an integer, got " + c.at("r").dump());
  t.emplace("r", c.at("r").get<std::int64_t>());
  t.emplace("alpha", number("lora_alpha").get<double>());
  if (c.contains("lora_dropout")) t.emplace("dropout", number("lora_dropout").get<double>());
  if (c.contains("use_rslora") && c.at("use_rslora").is_boolean()) t.emplace("rslora", c.at("use_rslora").get<bool>());
  const json tm = c.value("target_modules", json(nullptr));
  if (tm.is_string()) {
    const std::string s = tm.get<std::string>();
    if (s == "all-linear") {
      t.emplace("target_modules", Array{Value("all-linear")});
    } else {
      t.emplace("target_regex", s);
    }
  } else if (tm.is_array() && !tm.empty()) {
    Array names;
    for (const json& n : tm) {
      if (!n.is_string()) throw Error(f + "'target_modules' must hold strings, got " + n.dump());
      names.emplace_back(n.get<std::string>());
    }
    t.emplace("target_modules", std::move(names));
  } else {
    throw Error(f + "'target_modules' is missing or neither a list of names nor a regex string");
  }
  if (c.contains("base_model_name_or_path") && c.at("base_model_name_or_path").is_string()) {
    t.emplace("base_model", c.at("base_model_name_or_path").get<std::string>());
  }
  return t;
}

std::shared_ptr<Adapter> attach_peft_adapter(const PluginRegistry& registry, CausalLM& model,
                                             const fs::path& adapter_dir) {
  const std::shared_ptr<PluginLibrary> lib = registry.find(Adapter::kConcern, kAdapterPlugin);
  Table cfg = lora_options_from_peft(adapter_dir);
  // Errors in these options point at the adapter's config file; the rest are defaults.
  std::map<std::string, std::string, std::less<>> origins;
  for (const auto& [k, v] : cfg) origins.emplace(k, (adapter_dir / "adapter_config.json").string());
  for (const OptionSpec& o : lib->info().options) {
    if (cfg.count(o.key)) continue;
    if (!o.default_value) throw PluginError(lib->info().path.string() + ": option '" + o.key + "' has no default");
    cfg.emplace(o.key, *o.default_value);
    origins.emplace(o.key, "default");
  }
  PluginContext ctx;
  ctx.logger = host_logger();
  ctx.device = model.device();
  ctx.config = ConfigSection("adapter", std::move(cfg), std::move(origins));
  ctx.host = &host_services();
  std::shared_ptr<Adapter> adapter = lib->create<Adapter>(ctx);
  try {
    adapter->attach(model);
    adapter->load(adapter_dir);
  } catch (...) {
    // Drop the deltas while the plugin that made them is still loaded.
    for (LinearSite* s : model.linear_sites()) s->set_delta(nullptr);
    throw;
  }
  adapter->set_training(false);
  return adapter;
}

}  // namespace socrates
