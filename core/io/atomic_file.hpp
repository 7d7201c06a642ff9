// Writing a file all at once or not at all: a temporary file, fsync, then rename.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace socrates {

/// Streams bytes into a temporary file beside `target` (same folder, so rename is atomic);
/// commit() flushes it to disk, renames it over `target` and syncs the folder. Until then
/// `target` is untouched; if commit() is never reached (an error, an exception) the
/// temporary file is removed. Errors are socrates::Error naming `target` and saying what
/// to do: a full disk (ENOSPC), a file-size limit (EFBIG), a quota (EDQUOT), ...
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path target);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t size);
  void commit();

  const std::filesystem::path& target() const { return target_; }

 private:
  void flush();
  void write_all(const char* data, std::size_t size);
  [[noreturn]] void fail(const std::string& operation, int err);

  std::filesystem::path target_;
  std::filesystem::path temp_;
  int fd_ = -1;
  bool committed_ = false;
  std::vector<char> buffer_;  // gathers small writes
};

/// Writes `text` to `path` via a temporary file, fsync and rename, so a crash never
/// leaves a half-written file. Throws socrates::Error naming the path (full disk, ...).
void write_file_atomic(const std::filesystem::path& path, const std::string& text);

}  // namespace socrates
