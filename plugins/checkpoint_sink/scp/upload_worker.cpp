#include "upload_worker.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "socrates/checkpoint_rotation.hpp"

namespace fs = std::filesystem;

namespace socrates_scp {

namespace {

std::string megabytes(std::uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g s", s);
  return buf;
}

// Messages embedded in another one lose their "scp sink: " prefix.
std::string inner(const char* what) {
  const std::string s = what;
  return s.rfind("scp sink: ", 0) == 0 ? s.substr(10) : s;
}

}  // namespace

UploadWorker::UploadWorker(const ScpOptions& options, const socrates::HostServices& host,
                           std::shared_ptr<spdlog::logger> logger, Spool& spool)
    : o_(options), host_(host), log_(std::move(logger)), spool_(spool), remote_(options, host, log_, &cancel_) {}

UploadWorker::~UploadWorker() {
  {
    std::lock_guard lk(m_);
    stop_ = true;
  }
  cancel_ = true;
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (!queue_.empty()) {
    std::uint64_t bytes = 0;
    for (const SpoolEntry& e : queue_) bytes += e.bytes;
    log_->warn("scp sink: {} checkpoint(s) ({}) not yet uploaded to {} stay queued in {}; the next run of this "
               "sink with this run directory uploads them",
               queue_.size(), megabytes(bytes), o_.target(), spool_.root().string());
  }
}

void UploadWorker::start(std::vector<SpoolEntry> recovered) {
  {
    std::lock_guard lk(m_);
    for (SpoolEntry& e : recovered) queue_.push_back(std::move(e));
    if (!queue_.empty())
      log_->info("scp sink: {} checkpoint(s) from an earlier run are queued for {} (in {})", queue_.size(),
                 o_.target(), spool_.root().string());
    drop_superseded();
  }
  thread_ = std::thread([this] { run(); });
}

void UploadWorker::enqueue(std::int64_t step, const fs::path& src, const std::map<std::string, double>& metrics) {
  std::lock_guard lk(m_);
  SpoolEntry entry = spool_.add(step, src, metrics);
  auto same = std::find_if(queue_.begin(), queue_.end(), [&](const SpoolEntry& e) { return e.step == step; });
  if (same != queue_.end()) {
    if (busy_ && same == queue_.begin()) replaced_in_flight_ = true;
    *same = std::move(entry);
  } else {
    auto later = std::find_if(queue_.begin() + (busy_ ? 1 : 0), queue_.end(),
                              [&](const SpoolEntry& e) { return e.step > step; });
    queue_.insert(later, std::move(entry));
  }
  drop_superseded();
  cv_.notify_all();
}

void UploadWorker::drop_superseded() {
  std::vector<socrates::CheckpointRef> refs;
  for (const SpoolEntry& e : queue_) refs.push_back({e.step, e.dir, e.metrics});
  const std::vector<std::int64_t> doomed = socrates::checkpoints_to_delete(refs, o_.rotation);
  for (std::int64_t step : doomed) {
    auto it = std::find_if(queue_.begin(), queue_.end(), [&](const SpoolEntry& e) { return e.step == step; });
    if (it == queue_.end()) continue;
    if (busy_ && it == queue_.begin()) {
      superseded_in_flight_ = true;  // dropped by run() if this attempt fails
      continue;
    }
    log_->info("scp sink: step {} is no longer uploaded to {}: newer queued checkpoints replace it under "
               "keep_last = {}{}",
               step, o_.target(), o_.rotation.keep_last,
               o_.rotation.keep_best.empty() ? "" : ", keep_best = " + o_.rotation.keep_best);
    std::error_code ec;
    fs::remove_all(it->dir, ec);
    queue_.erase(it);
  }
}

double UploadWorker::backoff(int failures) const {
  const double d = o_.backoff_seconds * std::pow(2.0, std::min(failures - 1, 30));
  return std::min(d, kMaxBackoffSeconds);
}

bool UploadWorker::upload_one(const SpoolEntry& entry) {
  try {
    if (verified_dir_ != entry.dir) {
      const std::string problem = host_.verify_checkpoint(entry.dir);
      if (!problem.empty()) throw socrates::Error("the queued copy is damaged: " + problem);
      verified_dir_ = entry.dir;
    }
    const bool copied = remote_.upload(entry.step, entry.dir);
    if (copied)
      log_->info("scp sink: step {} uploaded to {} and verified (size and sha256 of every file, {})", entry.step,
                 remote_.location(entry.step), megabytes(entry.bytes));
    else
      log_->info("scp sink: step {} was already on {} and verifies; nothing copied", entry.step,
                 remote_.location(entry.step));
    const std::vector<std::int64_t> rotated = remote_.rotate();
    if (!rotated.empty()) {
      std::string list;
      for (std::int64_t s : rotated) list += (list.empty() ? "" : ", ") + std::to_string(s);
      log_->info("scp sink: deleted step(s) {} from {} (keep_last = {}{})", list, o_.target(),
                 o_.rotation.keep_last, o_.rotation.keep_best.empty() ? "" : ", keep_best = " + o_.rotation.keep_best);
    }
    return true;
  } catch (const TransportError& e) {
    std::lock_guard lk(m_);
    last_error_ = inner(e.what());
    return false;
  } catch (const socrates::Error& e) {
    std::lock_guard lk(m_);
    // put() replaced the entry while we read it: not damage; run() uploads the new one.
    if (replaced_in_flight_) return true;
    // The spool entry itself is unusable (corrupt, unreadable manifest): retrying cannot help.
    fs::path moved;
    try {
      moved = spool_.quarantine(entry);
    } catch (const std::exception&) {
      moved = entry.dir;
    }
    log_->error("scp sink: step {} will NOT be uploaded to {}: {}. It was moved to {} for inspection.", entry.step,
                o_.target(), e.what(), moved.string());
    return true;
  } catch (const std::exception& e) {
    std::lock_guard lk(m_);
    last_error_ = e.what();
    return false;
  }
}

void UploadWorker::run() {
  std::unique_lock lk(m_);
  while (!stop_) {
    if (queue_.empty()) {
      cv_.wait(lk, [&] { return stop_ || !queue_.empty(); });
      continue;
    }
    const SpoolEntry entry = queue_.front();
    busy_ = true;
    replaced_in_flight_ = false;
    superseded_in_flight_ = false;
    lk.unlock();
    const bool done = upload_one(entry);
    lk.lock();
    busy_ = false;
    if (stop_) break;
    if (!done && superseded_in_flight_ && !replaced_in_flight_) {
      // Newer queued checkpoints replaced it while this attempt ran (and failed): drop it now.
      log_->info("scp sink: step {} is no longer uploaded to {}: newer queued checkpoints replace it", entry.step,
                 o_.target());
      queue_.pop_front();
      std::error_code ec;
      fs::remove_all(entry.dir, ec);
      done_cv_.notify_all();
      continue;
    }
    if (done) {
      if (!replaced_in_flight_) {
        queue_.pop_front();
        if (fs::exists(entry.dir)) spool_.remove(entry);
      } else {
        verified_dir_.clear();  // the new snapshot has not been checked yet
      }
      failures_ = 0;
      last_error_.clear();
      done_cv_.notify_all();
      continue;
    }
    ++failures_;
    const double delay = backoff(failures_);
    if (failures_ % (o_.retries + 1) != 0) {
      log_->warn("scp sink: attempt {} to upload step {} failed, retrying in {}: {}", failures_, entry.step,
                 seconds(delay), last_error_);
    } else {
      std::uint64_t bytes = 0;
      for (const SpoolEntry& e : queue_) bytes += e.bytes;
      log_->error("scp sink: CANNOT UPLOAD step {} to {} after {} attempt(s): {}\nTraining goes on; {} checkpoint(s) "
                  "({}) stay queued in {} and are retried (next in {}, then at most every {} s).",
                  entry.step, o_.target(), failures_, last_error_, queue_.size(), megabytes(bytes),
                  spool_.root().string(), seconds(delay), kMaxBackoffSeconds);
    }
    done_cv_.notify_all();
    cv_.wait_for(lk, std::chrono::duration<double>(delay), [&] { return stop_ || retry_now_; });
    retry_now_ = false;
  }
}

std::string UploadWorker::progress() const {
  std::uint64_t bytes = 0;
  for (const SpoolEntry& e : queue_) bytes += e.bytes;
  const std::string counts = std::to_string(queue_.size()) + " checkpoint(s) queued, " + megabytes(bytes) + " left";
  if (failures_ > 0)
    return "scp sink: waiting to retry step " + std::to_string(queue_.front().step) + " to " + o_.endpoint() + " (" +
           std::to_string(failures_) + " failed attempt(s), last: " + last_error_ + "): " + counts;
  return "scp sink: uploading step " + std::to_string(queue_.front().step) + " to " + o_.endpoint() + ": " + counts;
}

void UploadWorker::flush() {
  using Clock = std::chrono::steady_clock;
  std::unique_lock lk(m_);
  if (!queue_.empty()) {
    std::uint64_t bytes = 0;
    for (const SpoolEntry& e : queue_) bytes += e.bytes;
    log_->info("scp sink: waiting for {} checkpoint(s) ({}) to reach {}{}", queue_.size(), megabytes(bytes),
               o_.target(),
               o_.flush_timeout > 0 ? " (flush_timeout = " + seconds(o_.flush_timeout) + ")" : std::string());
    failures_ = 0;  // start the backoff afresh, and try now
    retry_now_ = true;
    cv_.notify_all();
  }
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
                                    o_.flush_timeout > 0 ? o_.flush_timeout : 1e9));
  while (!queue_.empty()) {
    const auto next = std::min(Clock::now() + std::chrono::seconds(5), deadline);
    done_cv_.wait_until(lk, next, [&] { return queue_.empty(); });
    if (queue_.empty()) break;
    if (Clock::now() >= deadline) {
      std::uint64_t bytes = 0;
      for (const SpoolEntry& e : queue_) bytes += e.bytes;
      throw socrates::Error(
          "scp sink: gave up after flush_timeout = " + seconds(o_.flush_timeout) + " waiting for uploads to " +
          o_.target() + ": " + std::to_string(queue_.size()) + " checkpoint(s) (" + megabytes(bytes) +
          ") are still queued in " + spool_.root().string() +
          "; they are kept and uploaded by the next run of this sink with this run directory (e.g. socrates resume)." +
          (last_error_.empty() ? std::string() : " Last error: " + last_error_));
    }
    log_->info("{}", progress());
  }
}

}  // namespace socrates_scp
