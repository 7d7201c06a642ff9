// What resolving an experiment needs from the plugins, without depending on the loader:
// the plugin module's PluginRegistry implements it (config sits below plugin).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/schema.hpp"

namespace socrates {

class PluginLibrary;  // opaque here; defined by the plugin module

/// A plugin found by (concern, name): its option schema and the loaded library.
struct CatalogEntry {
  const Schema* options = nullptr;
  std::shared_ptr<PluginLibrary> library;
};

class PluginCatalog {
 public:
  virtual ~PluginCatalog() = default;
  /// Adds the plugins of `dir` (missing dirs are skipped).
  virtual void scan(const std::filesystem::path& dir) = 0;
  /// Adds the default search path (after the experiment's own [plugins] paths).
  virtual void scan_defaults() = 0;
  /// The plugin `name` of `concern`; throws PluginError listing the known ones.
  virtual CatalogEntry find_plugin(std::string_view concern, std::string_view name) const = 0;
  /// The names of the known plugins of `concern`, sorted.
  virtual std::vector<std::string> names(std::string_view concern) const = 0;
};

}  // namespace socrates
