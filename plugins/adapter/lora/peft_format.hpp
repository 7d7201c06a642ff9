// The PEFT adapter folder: tensor names, adapter_config.json (written as PEFT 0.21 writes
// it) and the checks on one read back.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "options.hpp"

namespace lora {

inline constexpr const char* kConfigFile = "adapter_config.json";
inline constexpr const char* kWeightsFile = "adapter_model.safetensors";
inline constexpr const char* kPeftVersion = "0.21.0";

/// "base_model.model.model.<site>.lora_A.weight" (which = 'A' or 'B').
std::string param_key(const std::string& site_name, char which);

/// A key as PEFT saves it: ".lora_A.default.weight" (a state_dict of the live model) becomes
/// ".lora_A.weight"; other keys are returned unchanged.
std::string canonical_key(const std::string& key);

/// adapter_config.json for these options and PEFT "target_modules" value, keys sorted and
/// indented by 2 as PEFT's json.dumps(indent=2, sort_keys=True).
std::string adapter_config_text(const LoraOptions& opts, const nlohmann::json& target_modules);

/// Parses <dir>/adapter_config.json. Throws socrates::Error naming the file if it is
/// missing or not a JSON object.
nlohmann::json read_adapter_config(const std::filesystem::path& dir);

/// Throws socrates::Error naming `file` and the key when the config asks for something this
/// plugin does not implement: a peft_type other than LORA, DoRA, LoRA biases, fan_in_fan_out,
/// rank/alpha patterns, layers_to_transform, modules_to_save, non-default initialisations
/// that change the weights' meaning, ...
void check_supported(const nlohmann::json& config, const std::filesystem::path& file);

}  // namespace lora
