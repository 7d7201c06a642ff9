#include "io/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {

constexpr std::size_t kBufferSize = 1 << 20;
constexpr std::size_t kMaxWrite = 1 << 30;  // Linux writes at most ~2 GiB at once

fs::path folder_of(const fs::path& p) { return p.has_parent_path() ? p.parent_path() : fs::path("."); }

std::string failure_message(const fs::path& target, const std::string& operation, int err) {
  const std::string dir = folder_of(target).string();
  const std::string why = std::string(" (") + std::strerror(err) + ")";
  std::string what;
  switch (err) {
    case ENOSPC: what = "the disk is full" + why + ". Free space in " + dir + " and save again"; break;
    case EDQUOT: what = "the disk quota is used up" + why + ". Free space in " + dir + " or raise the quota, and save again"; break;
    case EFBIG:
      what = "the file-size limit was hit" + why +
             ". Raise the limit (ulimit -f) or save to a file system that allows larger files";
      break;
    default: what = operation + " failed" + why + ". Check that " + dir + " exists and is writable"; break;
  }
  return "cannot write " + target.string() + ": " + what + "; any previous " + target.filename().string() +
         " is unchanged.";
}

}  // namespace

AtomicFile::AtomicFile(fs::path target) : target_(std::move(target)) {
  static std::atomic<unsigned> counter{0};
  for (int attempt = 0; fd_ < 0; ++attempt) {
    temp_ = folder_of(target_) / ("." + target_.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                                  std::to_string(counter++));
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && (errno != EEXIST || attempt > 100)) {
      const int err = errno;
      temp_.clear();
      throw Error(failure_message(target_, "creating a temporary file", err));
    }
  }
  buffer_.reserve(kBufferSize);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void AtomicFile::fail(const std::string& operation, int err) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(temp_.c_str());
  temp_.clear();
  throw Error(failure_message(target_, operation, err));
}

void AtomicFile::write_all(const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd_, data, std::min(size, kMaxWrite));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("writing", n < 0 ? errno : EIO);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

void AtomicFile::flush() {
  write_all(buffer_.data(), buffer_.size());
  buffer_.clear();
}

void AtomicFile::write(const void* data, std::size_t size) {
  if (fd_ < 0) throw Error("cannot write " + target_.string() + ": the file was already committed or failed.");
  const char* p = static_cast<const char*>(data);
  if (buffer_.size() + size > kBufferSize) flush();
  if (size >= kBufferSize)
    write_all(p, size);
  else
    buffer_.insert(buffer_.end(), p, p + size);
}

void AtomicFile::commit() {
  if (fd_ < 0) throw Error("cannot write " + target_.string() + ": the file was already committed or failed.");
  flush();
  if (::fsync(fd_) != 0) fail("flushing to disk", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    const int err = errno;
    fail("closing", err);
  }
  if (::rename(temp_.c_str(), target_.c_str()) != 0) fail("renaming the temporary file", errno);
  committed_ = true;
  // Make the rename itself durable. Best effort: some file systems cannot sync a folder.
  const int dir = ::open(folder_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void write_file_atomic(const std::filesystem::path& path, const std::string& text) {
  AtomicFile f(path);
  f.write(text.data(), text.size());
  f.commit();
}

}  // namespace socrates
