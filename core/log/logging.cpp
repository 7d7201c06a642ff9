#include "log/logging.hpp"

#include <algorithm>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "log/live_status_sink.hpp"
#include "socrates/error.hpp"

namespace socrates {

namespace {
std::string g_rank_prefix;  // "[rank 1] " in a job of several ranks
}  // namespace

std::shared_ptr<spdlog::logger> host_logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto console = std::make_shared<LiveStatusSink>(std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    console->set_pattern("%^[%H:%M:%S %L]%$ %v");
    auto l = std::make_shared<spdlog::logger>("socrates", console);
    l->set_level(spdlog::level::info);
    l->flush_on(spdlog::level::warn);
    return l;
  }();
  return logger;
}

void set_log_level(std::string_view level) {
  static constexpr std::string_view names[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
  for (std::size_t i = 0; i < std::size(names); ++i) {
    if (names[i] == level) {
      auto lvl = static_cast<spdlog::level::level_enum>(i);
      host_logger()->set_level(lvl);
      // Ranks other than 0 keep the console for errors.
      host_logger()->sinks().front()->set_level(g_rank_prefix.empty() || g_rank_prefix == "[rank 0] "
                                                    ? lvl
                                                    : std::max(lvl, spdlog::level::err));
      return;
    }
  }
  throw ConfigError("unknown log level '" + std::string(level) +
                    "'; use one of trace, debug, info, warn, error, critical, off");
}

void set_log_rank(int rank, int world) {
  if (world <= 1) return;
  g_rank_prefix = "[rank " + std::to_string(rank) + "] ";
  LiveStatus::instance().console_rank = rank == 0;
  auto& l = *host_logger();
  l.sinks().front()->set_pattern("%^[%H:%M:%S %L]%$ " + g_rank_prefix + "%v");
  if (rank != 0) l.sinks().front()->set_level(std::max(l.sinks().front()->level(), spdlog::level::err));
}

void log_to_file(const std::filesystem::path& file) {
  auto sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file.string(), /*truncate=*/false);
  sink->set_pattern("[%Y-%m-%d %H:%M:%S.%e %l] " + g_rank_prefix + "%v");
  sink->set_level(spdlog::level::debug);
  auto& l = *host_logger();
  l.sinks().push_back(sink);
  // The logger level gates all sinks: let debug through to the file; the console sink
  // keeps the user's level.
  if (g_rank_prefix.empty() || g_rank_prefix == "[rank 0] ") l.sinks().front()->set_level(l.level());
  if (l.level() > spdlog::level::debug) l.set_level(spdlog::level::debug);
  l.flush_on(spdlog::level::info);
}

}  // namespace socrates
