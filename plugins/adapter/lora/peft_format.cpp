#include "peft_format.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include "socrates/error.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace lora {

std::string param_key(const std::string& site_name, char which) {
  return "base_model.model.model." + site_name + ".lora_" + std::string(1, which) + ".weight";
}

std::string canonical_key(const std::string& key) {
  for (const char* part : {".lora_A.default.weight", ".lora_B.default.weight"}) {
    const std::string p(part);
    if (key.size() >= p.size() && key.compare(key.size() - p.size(), p.size(), p) == 0) {
      return key.substr(0, key.size() - p.size()) + p.substr(0, 7) + ".weight";
    }
  }
  return key;
}

std::string adapter_config_text(const LoraOptions& opts, const json& target_modules) {
  json j = json::object();  // std::map: keys come out sorted, as with sort_keys=True
  j["alora_invocation_tokens"] = nullptr;
  j["alpha_pattern"] = json::object();
  j["arrow_config"] = nullptr;
  j["auto_mapping"] = nullptr;
  j["base_model_name_or_path"] = opts.base_model.empty() ? json(nullptr) : json(opts.base_model);
  j["bias"] = "none";
  j["corda_config"] = nullptr;
  j["ensure_weight_tying"] = false;
  j["eva_config"] = nullptr;
  j["exclude_modules"] = nullptr;
  j["fan_in_fan_out"] = false;
  j["inference_mode"] = true;
  j["init_lora_weights"] = true;
  j["kasa_config"] = nullptr;
  j["layer_replication"] = nullptr;
  j["layers_pattern"] = nullptr;
  j["layers_to_transform"] = nullptr;
  j["loftq_config"] = json::object();
  // PEFT's lora_alpha is an int unless the user gave a float.
  if (opts.alpha == std::floor(opts.alpha) && std::abs(opts.alpha) < 9.0e15) {
    j["lora_alpha"] = static_cast<std::int64_t>(opts.alpha);
  } else {
    j["lora_alpha"] = opts.alpha;
  }
  j["lora_bias"] = false;
  j["lora_dropout"] = opts.dropout;
  j["lora_ga_config"] = nullptr;
  j["megatron_config"] = nullptr;
  j["megatron_core"] = "megatron.core";
  j["modules_to_save"] = nullptr;
  j["monteclora_config"] = nullptr;
  j["peft_type"] = "LORA";
  j["peft_version"] = kPeftVersion;
  j["qalora_group_size"] = 16;
  j["r"] = opts.r;
  j["rank_pattern"] = json::object();
  j["revision"] = nullptr;
  j["target_modules"] = target_modules;
  j["target_parameters"] = nullptr;
  j["task_type"] = "CAUSAL_LM";
  j["trainable_token_indices"] = nullptr;
  j["use_bdlora"] = nullptr;
  j["use_dora"] = false;
  j["use_qalora"] = false;
  j["use_rslora"] = opts.rslora;
  j["velora_config"] = nullptr;
  return j.dump(2);
}

json read_adapter_config(const fs::path& dir) {
  const fs::path file = dir / kConfigFile;
  std::ifstream in(file);
  if (!in) {
    throw socrates::Error(file.string() + ": cannot open the adapter config (is " + dir.string() +
                          " a PEFT adapter folder with adapter_config.json and adapter_model.safetensors?)");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  json j;
  try {
    j = json::parse(ss.str());
  } catch (const json::exception& e) {
    throw socrates::Error(file.string() + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) throw socrates::Error(file.string() + ": expected a JSON object");
  return j;
}

namespace {
bool truthy(const json& j) {
  if (j.is_null()) return false;
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_object() || j.is_array() || j.is_string()) return !j.empty();
  return true;
}
}  // namespace

void check_supported(const json& c, const fs::path& file) {
  const std::string f = file.string() + ": ";
  auto get = [&](const char* key) { return c.contains(key) ? c.at(key) : json(nullptr); };
  const json type = get("peft_type");
  if (!type.is_string() || type.get<std::string>() != "LORA") {
    throw socrates::Error(f + "'peft_type' is " + type.dump() + ": only LoRA adapters (\"LORA\") are supported");
  }
  if (truthy(get("use_dora"))) throw socrates::Error(f + "'use_dora' is true: DoRA adapters are not supported");
  const std::pair<const char*, const char*> unsupported[] = {
      {"lora_bias", "LoRA biases"},
      {"fan_in_fan_out", "fan_in_fan_out (Conv1D-style weights)"},
      {"rank_pattern", "per-layer ranks (rank_pattern)"},
      {"alpha_pattern", "per-layer alphas (alpha_pattern)"},
      {"layers_to_transform", "layers_to_transform"},
      {"layer_replication", "layer_replication"},
      {"modules_to_save", "modules_to_save (fully trained extra modules)"},
      {"trainable_token_indices", "trainable_token_indices"},
      {"target_parameters", "target_parameters"},
      {"use_qalora", "QA-LoRA (use_qalora)"},
      {"alora_invocation_tokens", "aLoRA (alora_invocation_tokens)"},
  };
  for (const auto& [key, what] : unsupported) {
    if (truthy(get(key))) throw socrates::Error(f + "'" + key + "' is " + get(key).dump() + ": not supported by the lora plugin (" + what + ")");
  }
  const json bias = get("bias");
  if (!bias.is_null() && bias != "none") {
    throw socrates::Error(f + "'bias' is " + bias.dump() + ": only \"none\" is supported");
  }
  for (const char* key : {"r", "lora_alpha"}) {
    if (!get(key).is_number()) throw socrates::Error(f + "'" + key + "' is missing or not a number");
  }
  const json t = get("target_modules");
  if (!t.is_string() && !t.is_array()) {
    throw socrates::Error(f + "'target_modules' is missing or neither a list of names nor a regex string");
  }
}

}  // namespace lora
