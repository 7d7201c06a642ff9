// sweep.lock: one sweep process per sweep directory. The lock is an flock on the file, so
// it goes away with the process (and with its variants' processes, which inherit it: a
// variant still shutting down after its sweep was killed keeps the directory locked).
#pragma once

#include <filesystem>

namespace socrates::sweep {

class SweepLock {
 public:
  /// Takes <dir>/sweep.lock, waiting up to `wait_seconds` for another holder to go away.
  /// Throws socrates::Error naming the holder's pid when it does not.
  SweepLock(const std::filesystem::path& dir, double wait_seconds);
  ~SweepLock();
  SweepLock(const SweepLock&) = delete;
  SweepLock& operator=(const SweepLock&) = delete;

  /// The descriptor, inherited by the variant processes (not close-on-exec).
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

}  // namespace socrates::sweep
