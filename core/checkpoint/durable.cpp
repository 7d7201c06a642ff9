#include "checkpoint/durable.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

void fsync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error("cannot open " + path.string() + " to flush it to disk: " + std::strerror(errno));
  if (::fsync(fd) != 0 && errno != EINVAL) {  // EINVAL: a file system that cannot sync folders
    const int err = errno;
    ::close(fd);
    throw Error("cannot flush " + path.string() + " to disk: " + std::strerror(err));
  }
  ::close(fd);
}

void fsync_tree(const fs::path& dir) {
  std::vector<fs::path> dirs;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_directory())
      dirs.push_back(e.path());
    else if (e.is_regular_file())
      fsync_path(e.path());
  }
  // Deepest first, so each folder's entries are durable before the folder that names it.
  std::sort(dirs.begin(), dirs.end(), [](const fs::path& a, const fs::path& b) {
    return std::distance(a.begin(), a.end()) > std::distance(b.begin(), b.end());
  });
  for (const fs::path& d : dirs) fsync_path(d);
  fsync_path(dir);
}

std::string remove_tree(const fs::path& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
  return ec ? ec.message() : std::string();
}

}  // namespace socrates
