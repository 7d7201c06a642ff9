// An spdlog logger that keeps every message (and echoes it to stderr) so tests can check
// what the sink logged, from any thread.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace socrates::testing {

class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  struct Line {
    spdlog::level::level_enum level;
    std::string text;
  };
  std::vector<Line> lines() const {
    std::lock_guard lk(lines_m_);
    return lines_;
  }
  /// Whether a message at `level` contains every one of `parts`.
  bool has(spdlog::level::level_enum level, const std::vector<std::string>& parts) const {
    for (const Line& l : lines()) {
      if (l.level != level) continue;
      bool all = true;
      for (const std::string& p : parts) all = all && l.text.find(p) != std::string::npos;
      if (all) return true;
    }
    return false;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::lock_guard lk(lines_m_);
    lines_.push_back({msg.level, std::string(msg.payload.data(), msg.payload.size())});
  }
  void flush_() override {}

 private:
  mutable std::mutex lines_m_;
  std::vector<Line> lines_;
};

inline std::shared_ptr<spdlog::logger> capturing_logger(std::shared_ptr<CaptureSink> capture) {
  auto console = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("scp-test", spdlog::sinks_init_list{capture, console});
  logger->set_level(spdlog::level::debug);
  return logger;
}

}  // namespace socrates::testing
