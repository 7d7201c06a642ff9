#include "tree_copy.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace local_sink {

namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& path, int err) {
  std::string hint;
  if (err == ENOSPC) hint = " (the disk is full)";
  if (err == EDQUOT) hint = " (the disk quota is used up)";
  if (err == EFBIG) hint = " (the file-size limit was hit; see ulimit -f)";
  if (err == EACCES || err == EPERM || err == EROFS) hint = " (check that the folder is writable)";
  throw socrates::Error("local sink: cannot " + what + " " + path.string() + ": " + std::strerror(err) + hint);
}

// Closes the descriptor on every path out.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

void copy_bytes(const fs::path& src, const fs::path& dest) {
  Fd in{::open(src.c_str(), O_RDONLY | O_CLOEXEC)};
  if (in.fd < 0) fail("read", src, errno);
  Fd out{::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)};
  if (out.fd < 0) fail("create", dest, errno);
  std::vector<char> buf(1 << 20);
  for (;;) {
    const ssize_t n = ::read(in.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail("read", src, errno);
    if (n == 0) break;
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(out.fd, buf.data() + done, static_cast<std::size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) fail("write", dest, w < 0 ? errno : EIO);
      done += w;
    }
  }
  if (::fsync(out.fd) != 0) fail("flush to disk", dest, errno);
  const int fd = out.fd;
  out.fd = -1;
  if (::close(fd) != 0) fail("close", dest, errno);
}

void make_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0) fail("create the folder", dir, errno);
}

void copy_rec(const fs::path& src, const fs::path& dest, std::vector<fs::path>& dirs) {
  make_dir(dest);
  dirs.push_back(dest);
  for (const auto& e : fs::directory_iterator(src)) {
    const fs::path to = dest / e.path().filename();
    if (e.is_directory()) {
      copy_rec(e.path(), to, dirs);
    } else if (e.is_regular_file()) {
      if (::link(e.path().c_str(), to.c_str()) == 0)
        sync_path(to);  // the data was synced when it was written; this is cheap
      else
        copy_bytes(e.path(), to);  // EXDEV (another file system), EPERM, EMLINK, ...
    }
  }
}

}  // namespace

void sync_path(const fs::path& path) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) fail("open", path, errno);
  if (::fsync(f.fd) != 0 && errno != EINVAL) fail("flush to disk", path, errno);
}

void copy_tree(const fs::path& src, const fs::path& dest) {
  std::vector<fs::path> dirs;
  copy_rec(src, dest, dirs);
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) sync_path(*it);  // deepest first
  sync_path(dest.parent_path());
}

void rename_durably(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) fail("rename " + from.string() + " to", to, errno);
  sync_path(to.parent_path());
}

}  // namespace local_sink
