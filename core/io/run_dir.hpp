// Run directories: <output_dir>/<name>-<UTC timestamp>, holding config.resolved.toml and run.log.
#pragma once

#include <filesystem>
#include <string>

namespace socrates {

/// Creates a fresh run directory <output_dir>/<name>-<UTC time> (never reuses one) and
/// writes `resolved_toml` into it as config.resolved.toml, atomically. Throws
/// socrates::Error naming the path.
std::filesystem::path create_run_dir(const std::filesystem::path& output_dir, const std::string& name,
                                     const std::string& resolved_toml);

}  // namespace socrates
