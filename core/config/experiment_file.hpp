// Reading an experiment: the TOML file, its includes and --set overrides, merged into one
// tree that remembers where every key came from.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "socrates/value.hpp"

namespace socrates {

class ExperimentFile {
 public:
  /// Reads `file`. A top-level `include = ["a.toml", ...]` (paths relative to the including
  /// file) is read first, in order, so later files override earlier ones and the including
  /// file overrides them all. Tables merge key by key; any other value (arrays of tables
  /// too) is replaced whole. Then each override "a.b.c=value" / "evaluators[1].k=value" is
  /// applied; the value is TOML (16, 1e-5, true, "s", [1, 2]) or else a bare string.
  /// Throws ConfigError with file:line:column for malformed TOML, missing or cyclic
  /// includes, and malformed overrides.
  static ExperimentFile load(const std::filesystem::path& file, const std::vector<std::string>& overrides = {});

  /// An experiment built in memory (e.g. by `socrates score`): `root` as if read from a file
  /// named `label` in the working directory, then the overrides.
  static ExperimentFile from_table(const std::filesystem::path& label, Table root,
                                   const std::vector<std::string>& overrides = {});

  const std::filesystem::path& file() const { return file_; }
  const Table& root() const { return root_; }
  Table& root() { return root_; }

  /// Where a dotted key ("adapter.r", "evaluators[1]") was set: "file:line:col" or
  /// "--set"; "" if unknown.
  std::string origin(const std::string& dotted) const;
  /// The directory relative paths set at `dotted` resolve against: the setting file's
  /// directory, or the working directory for --set and defaults.
  std::filesystem::path base_dir(const std::string& dotted) const;
  /// Applies one more override "a.b.c=value" after loading, like --set, but recording
  /// `origin` ("sweep.toml:12:3") as where it was set, so that validation errors point
  /// there, and resolving relative paths against `dir`.
  void apply_override(const std::string& text, const std::string& origin, const std::filesystem::path& dir);
  /// Records the origin of a key set by the host (defaults).
  void set_origin(const std::string& dotted, std::string origin) { origins_[dotted] = std::move(origin); }

  /// Every file read, in order (the experiment last).
  const std::vector<std::filesystem::path>& files() const { return files_; }

 private:
  std::filesystem::path file_;
  Table root_;
  std::map<std::string, std::string> origins_;
  std::map<std::string, std::filesystem::path> dirs_;
  std::vector<std::filesystem::path> files_;
  friend struct ExperimentFileLoader;
};

}  // namespace socrates
