// Internal to core/log: the console sink that erases the live status line before a log
// line and draws it again after, so the two never interleave.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include <spdlog/sinks/sink.h>

namespace socrates {

struct LiveStatus {
  static LiveStatus& instance();
  void erase_locked();
  void draw_locked();

  std::mutex mutex;
  std::string text_, shown_;
  std::chrono::steady_clock::time_point last_draw_{};
  bool console_rank = true;  // false on ranks other than 0
};

class LiveStatusSink final : public spdlog::sinks::sink {
 public:
  explicit LiveStatusSink(std::shared_ptr<spdlog::sinks::sink> console) : console_(std::move(console)) {}
  void log(const spdlog::details::log_msg& msg) override {
    LiveStatus& s = LiveStatus::instance();
    const std::lock_guard lock(s.mutex);
    s.erase_locked();
    console_->log(msg);
    console_->flush();
    s.draw_locked();
  }
  void flush() override { console_->flush(); }
  void set_pattern(const std::string& pattern) override { console_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> f) override { console_->set_formatter(std::move(f)); }

 private:
  std::shared_ptr<spdlog::sinks::sink> console_;
};

}  // namespace socrates
