// Attaching a PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors) to a
// model through the lora plugin, for the commands that take --adapter (generate, export).
#pragma once

#include <filesystem>
#include <memory>

#include "socrates/adapter.hpp"
#include "socrates/value.hpp"

namespace socrates {

class CausalLM;
class PluginRegistry;

/// The lora plugin's options that reproduce <adapter_dir>/adapter_config.json: r,
/// lora_alpha -> alpha, lora_dropout -> dropout, use_rslora -> rslora, and target_modules (a
/// list or "all-linear" -> target_modules, any other string -> target_regex). Throws Error
/// naming the file and key when the file is missing, is not LoRA, or lacks a key.
Table lora_options_from_peft(const std::filesystem::path& adapter_dir);

/// Creates the "lora" adapter from `registry` with those options (the others at their
/// defaults), attaches it to `model`, loads the folder's weights and switches it to evaluation
/// mode. The model then holds the adapter's code: destroy the model (or call merge()) before
/// the returned adapter.
std::shared_ptr<Adapter> attach_peft_adapter(const PluginRegistry& registry, CausalLM& model,
                                             const std::filesystem::path& adapter_dir);

}  // namespace socrates
