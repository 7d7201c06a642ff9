// One writer per run directory: an exclusive flock(2) on <run>/.lock, held for the life of the
// process that trains in it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace socrates {

class RunLock {
 public:
  /// Takes <dir>/.lock at once or throws socrates::Error naming the process that holds it
  /// (pid, host, command, since when). The file records this process while it holds the lock
  /// and is emptied on release. The kernel drops the lock of a process that dies, so a lock
  /// left by a killed run is taken over (its record is returned by `previous()`).
  static RunLock acquire(const std::filesystem::path& dir);
  /// The lock for a command that writes into `dir`: taken by the launcher's rank 0 (RANK unset
  /// or 0) only, since the other ranks of one run share its directory. Once taken, the
  /// environment variable SOCRATES_RUN_LOCK_HELD names `dir`, so that rank processes this
  /// process starts (a launcher) do not try to take the lock their parent holds.
  static std::optional<RunLock> acquire_for_rank(const std::filesystem::path& dir);
  static constexpr const char* kHeldEnv = "SOCRATES_RUN_LOCK_HELD";

  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  ~RunLock();

  const std::filesystem::path& path() const { return path_; }
  /// The record a process that died while holding the lock left behind ("pid 123 on host h ..."),
  /// or "" when the lock was free and clean.
  const std::string& previous() const { return previous_; }

 private:
  RunLock(int fd, std::filesystem::path path, std::string previous);
  int fd_ = -1;
  std::filesystem::path path_;
  std::string previous_;
};

/// "pid 123 on host h (socrates run, since 2026-12-06T20:00:00Z)": this process as a lock record.
std::string run_lock_record();

}  // namespace socrates
