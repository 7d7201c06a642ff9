// A validated experiment: every section checked against its schema, defaults filled in,
// relative paths made absolute, and the plugin each slot selects.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/concerns.hpp"
#include "config/experiment_file.hpp"
#include "config/plugin_catalog.hpp"
#include "config/schema.hpp"
#include "config/settings.hpp"
#include "socrates/config.hpp"

namespace socrates {

/// Sections the host itself reads ([run], [plugins], ...), with their schemas.
const std::vector<std::pair<std::string, Schema>>& host_sections();

/// One plugin the experiment selects.
struct PluginUse {
  std::string slot;     // "adapter", "evaluators[1]", "checkpoint.sinks[0]"
  std::string concern;
  std::string name;
  ConfigSection config;  // the section without its "plugin" key
  std::shared_ptr<PluginLibrary> library;
  const Schema* options = nullptr;  // the plugin's option table (lives with `library`)
};

class Experiment {
 public:
  /// Validates `file`. The [plugins] paths are scanned into `catalog` first. Throws
  /// ConfigError (file:line:col, with a "did you mean") for unknown sections or keys,
  /// wrong types, values outside their choices and missing required keys, and for
  /// unknown plugins (listing the known ones). A slot with a default plugin ([objective])
  /// is filled in when absent.
  static Experiment resolve(ExperimentFile file, PluginCatalog& catalog);

  const ExperimentFile& source() const { return file_; }
  const Table& root() const { return file_.root(); }
  /// A host section ("run", "plugins", ...), validated and with defaults.
  ConfigSection section(std::string_view name) const;
  /// The host sections, typed and checked.
  const HostSettings& settings() const { return settings_; }
  const std::vector<PluginUse>& plugins() const { return plugins_; }
  /// The plugins of a slot path ("adapter", "evaluators"), in file order.
  std::vector<const PluginUse*> plugins_in(std::string_view slot_path) const;

  /// The resolved TOML: every key explicit, paths absolute, with a header comment.
  /// Running it alone reproduces the run.
  std::string to_toml() const;

 private:
  ExperimentFile file_;
  std::vector<PluginUse> plugins_;
  HostSettings settings_;
};

}  // namespace socrates
