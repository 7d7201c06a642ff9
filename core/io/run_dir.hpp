// Run directories: <output_dir>/<name>-<UTC timestamp>, holding config.resolved.toml and run.log.
#pragma once

#include <filesystem>
#include <string>

namespace socrates {

/// Why `name` cannot name a run directory inside output_dir, or "" when it can: it must be
/// non-empty, contain no '/', '\\', NUL or other control character, and not be "." or "..".
std::string run_name_problem(const std::string& name);

/// Creates a fresh run directory <output_dir>/<name>-<UTC time> (never reuses one) and
/// writes `resolved_toml` into it as config.resolved.toml, atomically. Throws
/// socrates::Error naming the path, or when `name` has a run_name_problem.
std::filesystem::path create_run_dir(const std::filesystem::path& output_dir, const std::string& name,
                                     const std::string& resolved_toml);

}  // namespace socrates
