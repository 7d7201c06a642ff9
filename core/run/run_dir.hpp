// Run directories: <output_dir>/<name>-<UTC timestamp>, holding config.resolved.toml and run.log.
#pragma once

#include <filesystem>
#include <string>

namespace socrates {

class Experiment;

/// Creates a fresh run directory for `exp` (never reuses one) and writes
/// config.resolved.toml into it atomically. Throws socrates::Error naming the path.
std::filesystem::path create_run_dir(const Experiment& exp);

/// Writes `text` to `path` via a temporary file, fsync and rename, so a crash never
/// leaves a half-written file. Throws socrates::Error naming the path (full disk, ...).
void write_file_atomic(const std::filesystem::path& path, const std::string& text);

}  // namespace socrates
