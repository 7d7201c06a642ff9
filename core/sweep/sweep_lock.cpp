#include "sweep/sweep_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "log/logging.hpp"
#include "socrates/error.hpp"

namespace socrates::sweep {

namespace {
std::string holder(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  std::string s(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s.empty() ? "unknown" : s;
}
}  // namespace

SweepLock::SweepLock(const std::filesystem::path& dir, double wait_seconds) {
  const std::string file = (dir / "sweep.lock").string();
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT, 0644);
  if (fd_ < 0) throw Error("cannot open " + file + ": " + std::strerror(errno));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wait_seconds);
  bool told = false;
  while (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      const int e = errno;
      ::close(fd_);
      throw Error("cannot lock " + file + ": " + std::strerror(e));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      const std::string pid = holder(fd_);
      ::close(fd_);
      throw Error(dir.string() + " is in use by another process (sweep pid " + pid + ", or one of its variants "
                  "still stopping). Wait for it to finish, or stop it, then run the command again");
    }
    if (!told) {
      host_logger()->info("waiting for the previous holder of {} (pid {}) to stop", file, holder(fd_));
      told = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 || ::pwrite(fd_, pid.data(), pid.size(), 0) < 0) {
    host_logger()->warn("cannot write the pid into {}: {}", file, std::strerror(errno));
  }
}

SweepLock::~SweepLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace socrates::sweep
