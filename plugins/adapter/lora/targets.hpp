// Which linear layers an adapter targets: our options (target_modules / "all-linear" /
// target_regex) and PEFT's adapter_config.json "target_modules" (a list or a regex string).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "options.hpp"
#include "socrates/model.hpp"

namespace lora {

/// PEFT's list rule: `target` selects a layer if it equals the layer's name, or the name
/// ends with "." + target. Names are checked with and without the Hugging Face "model." prefix.
bool list_entry_matches(const std::string& target, const std::string& site_name);

/// The sites the options select, in model order. Throws ConfigError (through cfg.error on
/// target_modules or target_regex) when a target matches no linear layer of `model`.
std::vector<socrates::LinearSite*> select_sites(socrates::ModelView& model, const LoraOptions& opts,
                                                const socrates::ConfigSection& cfg);

/// The "target_modules" value to write for the chosen sites: the sorted last components of
/// their names ("q_proj", ...) when those select exactly `chosen` among `all` (as PEFT
/// writes them), otherwise a regex string that full-matches exactly the chosen
/// "model.layers.N...." names, so PEFT selects the same layers.
nlohmann::json peft_target_modules(const std::vector<std::string>& all, const std::vector<std::string>& chosen);

/// The names among `all` that a PEFT "target_modules" value (list of names, "all-linear",
/// or regex string) selects. Throws std::regex_error for a regex std::regex cannot parse.
std::vector<std::string> peft_selected(const nlohmann::json& target_modules, const std::vector<std::string>& all);

}  // namespace lora
