// The host's one logger, shared with every plugin through PluginContext.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include <spdlog/logger.h>

namespace socrates {

/// The "socrates" logger: console (stderr) from the start, plus run.log once a run
/// directory exists.
std::shared_ptr<spdlog::logger> host_logger();

/// Sets the level from "trace", "debug", "info", "warn", "error", "critical" or "off";
/// throws ConfigError naming the valid levels otherwise.
void set_log_level(std::string_view level);

/// One rank of `world` (world > 1): every line gets a "[rank R]" prefix, and only rank 0
/// logs to the console below error level (every rank still writes run.log in full).
void set_log_rank(int rank, int world);

/// Also writes everything (at debug and above) to `file`, appending.
void log_to_file(const std::filesystem::path& file);

}  // namespace socrates
