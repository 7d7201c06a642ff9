// Discovers plugins in search directories and finds them by (concern, name).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/plugin_catalog.hpp"
#include "plugin/plugin_library.hpp"

namespace socrates {

class PluginRegistry : public PluginCatalog {
 public:
  /// Loads every "*.so" directly inside `dir` (missing dirs are skipped). A file that fails
  /// to load, or whose (concern, name) is already taken, is recorded in problems() and
  /// does not stop the scan. Scanning the same file twice is a no-op.
  void scan(const std::filesystem::path& dir) override;
  /// Scans default_plugin_dirs().
  void scan_defaults() override;
  CatalogEntry find_plugin(std::string_view concern, std::string_view name) const override;
  std::vector<std::string> names(std::string_view concern) const override;
  /// Loads one file; throws PluginError (bad file, or duplicate naming both files).
  const PluginInfo& add(const std::filesystem::path& file);

  /// The plugin `name` of `concern`. Throws PluginError if it is unknown (listing the known
  /// plugins of that concern and the search path) or ambiguous (naming both files).
  std::shared_ptr<PluginLibrary> find(std::string_view concern, std::string_view name) const;

  /// All good plugins, sorted by concern then name.
  std::vector<std::shared_ptr<PluginLibrary>> list() const;
  /// One line per file that failed to load or clashed: "<path>: <reason>".
  const std::vector<std::string>& problems() const { return problems_; }
  /// The directories scanned so far, in order.
  const std::vector<std::filesystem::path>& search_path() const { return dirs_; }

 private:
  struct Entry {
    std::shared_ptr<PluginLibrary> lib;
    std::vector<std::filesystem::path> clashes;  // other files with the same (concern, name)
  };
  std::vector<Entry> entries_;
  std::vector<std::string> problems_;
  std::vector<std::filesystem::path> dirs_;
  std::vector<std::filesystem::path> files_;
};

/// The default search path, in order: <exe dir>/../lib/socrates/plugins (the build tree and
/// the install prefix share this layout), then each entry of SOCRATES_PLUGIN_PATH
/// (colon-separated). The experiment's [plugins] paths are appended by the caller.
std::vector<std::filesystem::path> default_plugin_dirs();

}  // namespace socrates
