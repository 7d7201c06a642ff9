#include "io/run_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>

#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  return buf;
}

std::string command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string out;
  std::size_t words = 0;
  for (std::size_t at = 0; at < all.size() && words < 2; ++words) {
    const std::size_t end = all.find('\0', at);
    std::string word = all.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (words == 0) word = fs::path(word).filename().string();
    out += (out.empty() ? "" : " ") + word;
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return out.empty() ? "socrates" : out;
}

// What `fd` holds, without its trailing newline.
std::string read_all(int fd) {
  std::string out;
  char buf[512];
  ::lseek(fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0 && out.size() < 4096;) out.append(buf, static_cast<std::size_t>(n));
  while (!out.empty() && (out.back() == '\n' || out.back() == '\0')) out.pop_back();
  return out;
}

}  // namespace

std::string run_lock_record() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return "pid " + std::to_string(::getpid()) + " on host " + host_name() + " (" + command_line() + ", since " + stamp +
         ")";
}

RunLock RunLock::acquire(const fs::path& dir) {
  const fs::path path = dir / ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    throw Error("cannot open the run lock " + path.string() + ": " + std::strerror(errno) +
                ". Check that the run directory exists and is writable");
  }
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    const int err = errno;
    const std::string holder = read_all(fd);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      throw Error("run directory " + dir.string() + " is in use by " + (holder.empty() ? "another process" : holder) +
                  ": only one process may write to a run at a time. Wait for it to finish or stop it, then try "
                  "again (the lock is " + path.string() + ")");
    }
    throw Error("cannot lock " + path.string() + ": " + std::strerror(err) +
                " (the file system must support flock)");
  }
  std::string previous = read_all(fd);
  const std::string record = run_lock_record() + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, record.data(), record.size(), 0) != static_cast<ssize_t>(record.size())) {
    const int err = errno;
    ::close(fd);
    throw Error("cannot write the run lock " + path.string() + ": " + std::strerror(err));
  }
  return RunLock(fd, path, std::move(previous));
}

std::optional<RunLock> RunLock::acquire_for_rank(const fs::path& dir) {
  const char* rank = std::getenv("RANK");
  if (rank && *rank && std::strtol(rank, nullptr, 10) != 0) return std::nullopt;
  std::error_code ec;
  const fs::path canon = fs::weakly_canonical(dir, ec);
  const std::string key = (ec ? dir : canon).string();
  // A launcher that holds the lock and starts the ranks as child processes: they inherit this.
  if (const char* held = std::getenv(kHeldEnv); held && key == held) return std::nullopt;
  RunLock lock = acquire(dir);
  ::setenv(kHeldEnv, key.c_str(), 1);
  return lock;
}

RunLock::RunLock(int fd, fs::path path, std::string previous)
    : fd_(fd), path_(std::move(path)), previous_(std::move(previous)) {}

RunLock::RunLock(RunLock&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)), previous_(std::move(other.previous_)) {
  other.fd_ = -1;
}

// Empty the record first, so that a record found later means its process died holding the lock.
RunLock::~RunLock() {
  if (fd_ < 0) return;
  [[maybe_unused]] const int rc = ::ftruncate(fd_, 0);
  ::close(fd_);  // releases the flock
}

}  // namespace socrates
