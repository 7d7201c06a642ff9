#include "cli/cli.hpp"

#include <iostream>

#include "data/prompt_probe.hpp"
#include "log/live_status.hpp"
#include "log/logging.hpp"
#include "plugin/components.hpp"

namespace socrates::cli {

const std::vector<Command>& commands() {
  static const std::vector<Command> cmds = {
      {"run", "Resolve and validate an experiment, create its run directory, and run it", cmd_run},
      {"resume", "Continue a run directory from its newest complete checkpoint (fetched from a remote sink if needed)",
       cmd_resume},
      {"validate", "Resolve an experiment, load every plugin and check every section; run nothing", cmd_validate},
      {"data inspect", "Print rendered examples with their loss masks and the dataset statistics", cmd_data_inspect},
      {"config show", "Print the fully resolved experiment as TOML", cmd_config_show},
      {"plugins list", "List the plugins found: name, concern, version, ABI, path", cmd_plugins_list},
      {"plugins describe", "Show a plugin's options (types, defaults, docs); --markdown for the docs", cmd_plugins_describe},
      {"version", "Print the version, SDK ABI and LibTorch version", cmd_version},
      {"tokenize", "Encode text with a tokenizer.json; one {\"ids\": [...]} JSON line per input", cmd_tokenize},
      {"generate", "Generate text from a Hugging Face model folder (greedy or sampled, KV cache)", cmd_generate},
      {"eval", "Score the base model, the final adapter or a checkpoint with the experiment's evaluators", cmd_eval},
      {"score", "Score predictions made anywhere (JSON lines) with evaluator plugins; --per-cell for each cell", cmd_score},
      {"export", "Write a Hugging Face model folder, with a LoRA adapter merged in (--adapter DIR --merge)", cmd_export},
      {"import gguf", "Convert a llama.cpp GGUF file (llama, qwen2; F32/F16/BF16/Q8_0/Q4_0/Q4_1) to a Hugging Face folder",
       cmd_import_gguf},
      {"predict", "Predict one person's answer distribution to a scenario (sampled or exact)", cmd_predict},
      {"sweep", "Run the variants of an ablation (grid, zipped axes, explicit variants, seeds); --resume DIR", cmd_sweep},
      {"compare", "Compare run or sweep directories: tables (Markdown, CSV, JSON), plots and report.md", cmd_compare},
  };
  return cmds;
}

bool parse(const std::vector<std::string>& args, po::options_description& opts,
           const po::positional_options_description& positional, po::variables_map& vm, const std::string& usage) {
  opts.add_options()("help,h", "show this help")(
      "log-level", po::value<std::string>()->default_value("info"), "trace|debug|info|warn|error|critical|off")(
      "log-format", po::value<std::string>()->default_value("auto"),
      "auto (a live progress line on a terminal) | plain (log lines only)");
  po::store(po::command_line_parser(args).options(opts).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: " << usage << "\n\n" << opts << "\n";
    return false;
  }
  po::notify(vm);
  set_log_level(vm["log-level"].as<std::string>());
  set_log_format(vm["log-format"].as<std::string>());
  return true;
}

PluginRegistry default_registry() {
  PluginRegistry r;
  r.scan_defaults();
  return r;
}

Experiment load_experiment(const std::string& file, const std::vector<std::string>& sets, PluginRegistry& registry) {
  return Experiment::resolve(ExperimentFile::load(file, sets), registry);
}

void check_components(const Experiment& exp, const std::filesystem::path& run_dir) {
  for (const PluginUse& use : exp.plugins()) {
    instantiate(use, make_context(exp, use, run_dir));
    host_logger()->debug("[{}] plugin '{}' {} from {}: ok", use.slot, use.name, use.library->info().version,
                         use.library->info().path.string());
  }
  probe_prompt_format(exp);  // e.g. an eos token the tokenizer lacks, before any run directory exists
}

}  // namespace socrates::cli
