// `socrates run EXP --resume auto`: the newest run directory of an experiment.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace socrates {

/// The newest `<output_dir>/<name>-<YYYYmmdd-HHMMSS>[-N]` folder that holds a
/// config.resolved.toml (names as create_run_dir makes them), or nullopt.
std::optional<std::filesystem::path> latest_run_dir(const std::filesystem::path& output_dir, const std::string& name);

}  // namespace socrates
