// Shared pieces of the socrates subcommands.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

#include "config/experiment.hpp"
#include "plugin/plugin_registry.hpp"

namespace socrates::cli {

namespace po = boost::program_options;

struct Command {
  const char* name;  // "run", "config show", "plugins list"
  const char* summary;
  int (*run)(const std::vector<std::string>& args);
};

/// Every subcommand, in the order `socrates --help` lists them.
const std::vector<Command>& commands();

/// Parses `args` against `opts` (plus --help and --log-level). Positional names map to
/// `positional`. Returns false (after printing help for `usage`) when --help was given.
bool parse(const std::vector<std::string>& args, po::options_description& opts,
           const po::positional_options_description& positional, po::variables_map& vm, const std::string& usage);

/// A registry that has scanned the default plugin directories.
PluginRegistry default_registry();

/// Loads and validates an experiment with --set overrides.
Experiment load_experiment(const std::string& file, const std::vector<std::string>& sets, PluginRegistry& registry);

/// Creates every selected component once, so plugins can reject bad option values.
void check_components(const Experiment& exp, const std::filesystem::path& run_dir);

// The subcommands.
int cmd_run(const std::vector<std::string>& args);
int cmd_resume(const std::vector<std::string>& args);
int cmd_validate(const std::vector<std::string>& args);
int cmd_config_show(const std::vector<std::string>& args);
int cmd_plugins_list(const std::vector<std::string>& args);
int cmd_plugins_describe(const std::vector<std::string>& args);
int cmd_data_inspect(const std::vector<std::string>& args);
int cmd_version(const std::vector<std::string>& args);
int cmd_tokenize(const std::vector<std::string>& args);
int cmd_generate(const std::vector<std::string>& args);
int cmd_export(const std::vector<std::string>& args);
int cmd_import_gguf(const std::vector<std::string>& args);
int cmd_predict(const std::vector<std::string>& args);
int cmd_eval(const std::vector<std::string>& args);
int cmd_score(const std::vector<std::string>& args);
int cmd_sweep(const std::vector<std::string>& args);
int cmd_compare(const std::vector<std::string>& args);

}  // namespace socrates::cli
