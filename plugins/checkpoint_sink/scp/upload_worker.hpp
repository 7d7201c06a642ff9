// The background thread that uploads the spool's entries, oldest first, with retries and
// exponential backoff, and that flush() waits on.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/logger.h>

#include "remote_store.hpp"
#include "scp_options.hpp"
#include "spool.hpp"

namespace socrates_scp {

class UploadWorker {
 public:
  /// Longest pause between two attempts, whatever backoff_seconds and the failure count.
  static constexpr double kMaxBackoffSeconds = 300;

  UploadWorker(const ScpOptions& options, const socrates::HostServices& host, std::shared_ptr<spdlog::logger> logger,
               Spool& spool);
  /// Stops the thread (killing a running ssh/scp); queued entries stay in the spool.
  ~UploadWorker();
  UploadWorker(const UploadWorker&) = delete;
  UploadWorker& operator=(const UploadWorker&) = delete;

  /// Starts the thread with the entries a previous run left in the spool.
  void start(std::vector<SpoolEntry> recovered);
  /// Snapshots the checkpoint `src` into the spool and queues it (replacing a queued one of
  /// the same step), then drops queued entries that the rotation policy would delete anyway
  /// once the newer ones arrive. Throws socrates::Error if the snapshot fails.
  void enqueue(std::int64_t step, const std::filesystem::path& src, const std::map<std::string, double>& metrics);
  /// Retries at once, then waits until the queue is empty, logging progress every 5 s.
  /// Throws socrates::Error after flush_timeout seconds (0 = never), the entries staying in
  /// the spool.
  void flush();

 private:
  void run();
  bool upload_one(const SpoolEntry& entry);  // true when done (uploaded, or quarantined); no lock held
  void drop_superseded();                     // with m_ held
  std::string progress() const;               // with m_ held
  double backoff(int failures) const;

  ScpOptions o_;
  const socrates::HostServices& host_;
  std::shared_ptr<spdlog::logger> log_;
  Spool& spool_;
  std::atomic<bool> cancel_{false};
  RemoteStore remote_;

  mutable std::mutex m_;
  std::condition_variable cv_;       // wakes the worker (new entry, flush, stop)
  std::condition_variable done_cv_;  // wakes flush (an entry finished)
  std::deque<SpoolEntry> queue_;     // front = the one being uploaded when busy_
  bool busy_ = false;
  bool replaced_in_flight_ = false;  // put() replaced the entry being uploaded: upload it again
  bool superseded_in_flight_ = false;  // rotation would delete the entry being uploaded
  bool stop_ = false;
  bool retry_now_ = false;
  int failures_ = 0;  // consecutive failed attempts
  std::string last_error_;
  std::filesystem::path verified_dir_;  // the spool entry last checked locally (worker thread only)
  std::thread thread_;
};

}  // namespace socrates_scp
