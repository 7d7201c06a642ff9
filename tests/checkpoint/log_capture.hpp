// A logger that keeps every message so tests can check what a plugin logged.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

namespace ckpt_test {

class LogCapture final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  /// Whether a message at `level` contains `text`.
  bool has(spdlog::level::level_enum level, const std::string& text) {
    std::lock_guard lk(mutex_);
    for (const auto& [l, t] : lines_)
      if (l == level && t.find(text) != std::string::npos) return true;
    return false;
  }
  std::string all() {
    std::lock_guard lk(mutex_);
    std::string out;
    for (const auto& [l, t] : lines_) out += t + "\n";
    return out;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    lines_.emplace_back(msg.level, std::string(msg.payload.data(), msg.payload.size()));
  }
  void flush_() override {}

 private:
  std::vector<std::pair<spdlog::level::level_enum, std::string>> lines_;
};

inline std::shared_ptr<spdlog::logger> capturing_logger(const std::shared_ptr<LogCapture>& capture) {
  auto logger = std::make_shared<spdlog::logger>("ckpt-test", capture);
  logger->set_level(spdlog::level::debug);
  return logger;
}

}  // namespace ckpt_test
