// What `socrates eval` and `socrates predict` open before predicting: the model (with an
// optional LoRA adapter from a PEFT folder), the tokenizer and the prompt format.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "config/experiment.hpp"
#include "model/causal_lm.hpp"
#include "plugin/plugin_registry.hpp"
#include "socrates/adapter.hpp"
#include "socrates/prompt_format.hpp"
#include "tokenizer/bpe_tokenizer.hpp"

namespace socrates {

struct EvalModel {
  // The adapter is declared first so that it is destroyed last: the model holds its deltas,
  // whose code lives in the adapter plugin.
  std::shared_ptr<Adapter> adapter;  // null when no adapter folder was given
  std::unique_ptr<CausalLM> model;
  std::shared_ptr<PromptFormat> format;
  std::unique_ptr<BpeTokenizer> tokenizer;
};

/// From a validated experiment: the model of [model] (a folder, or random weights from
/// `shape` and [run] seed, which rebuilds a quickstart model exactly) on [run] device in
/// [model] dtype, the tokenizer, the [prompt] format, and, when `adapter_dir` is given, the
/// PEFT LoRA adapter in it, attached in evaluation mode (no dropout). `run_dir` is handed to
/// the prompt format plugin (may be empty).
EvalModel open_eval_model(const Experiment& exp, const std::filesystem::path& run_dir,
                          const std::optional<std::filesystem::path>& adapter_dir);

/// Without an experiment: a Hugging Face model folder, a tokenizer.json (default: the
/// folder's), the prompt format plugin `format_name` from `registry` with its default options,
/// and an optional PEFT adapter folder. `dtype` defaults to the checkpoint's.
EvalModel open_eval_model(const PluginRegistry& registry, const std::filesystem::path& model_dir,
                          const std::optional<std::filesystem::path>& tokenizer, const std::string& format_name,
                          c10::Device device, std::optional<c10::ScalarType> dtype,
                          const std::optional<std::filesystem::path>& adapter_dir);

}  // namespace socrates
