#include "run/run_dir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "config/experiment.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

void write_file_atomic(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.string() + ".tmp";
  auto fail = [&](const char* what) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Error(std::string("cannot write ") + path.string() + ": " + what + " failed: " + std::strerror(err) +
                 (err == ENOSPC || err == EFBIG ? " (the disk is full or a file-size limit was hit: free space and retry)" : ""));
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw fail("open");
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Error e = fail("write");
      ::close(fd);
      throw e;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    Error e = fail("fsync");
    ::close(fd);
    throw e;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) throw fail("rename");
}

fs::path create_run_dir(const Experiment& exp) {
  const ConfigSection run = exp.section("run");
  const fs::path out = run.get<std::string>("output_dir");
  const std::string name = run.get<std::string>("name");
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw Error("cannot create output directory " + out.string() + ": " + ec.message());

  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  fs::path dir;
  for (int i = 0;; ++i) {
    std::string leaf = name;
    leaf.append(1, '-').append(stamp);
    if (i > 0) leaf.append(1, '-').append(std::to_string(i));
    dir = out / leaf;
    if (fs::create_directory(dir, ec)) break;  // atomic: fails if it exists
    if (ec) throw Error("cannot create run directory " + dir.string() + ": " + ec.message());
  }
  write_file_atomic(dir / "config.resolved.toml", exp.to_toml());
  return dir;
}

}  // namespace socrates
