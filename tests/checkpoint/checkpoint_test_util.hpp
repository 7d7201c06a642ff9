// Helpers of the checkpoint tests: temporary folders, files, child processes, mounts.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ckpt_test {

namespace fs = std::filesystem;

/// A fresh folder under the system temp dir, removed at the end.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& p) const { return path_ / p; }

 private:
  fs::path path_;
};

std::string read_bytes(const fs::path& file);
void write_bytes(const fs::path& file, const std::string& bytes);

/// A checkpoint folder `dir` holding `files` (relative path -> content) and its manifest.
void make_checkpoint(const fs::path& dir, std::int64_t step, const std::map<std::string, std::string>& files,
                     const std::map<std::string, double>& metrics = {});

/// A started child process; its stdout and stderr go to `log`.
struct Child {
  pid_t pid = -1;
  fs::path log;
};
/// Starts `argv` (argv[0] is the executable path) with stdout+stderr appended to `log`.
Child spawn(const std::vector<std::string>& argv, const fs::path& log);
/// Waits for the child; the exit code, or 128 + signal if a signal ended it.
int wait_for(const Child& c);
/// spawn + wait_for.
int run(const std::vector<std::string>& argv, const fs::path& log);

/// Runs `body` in a forked child that reports through `fd`; returns (exit code, report).
std::pair<int, std::string> in_child(const std::function<int(int fd)>& body);
/// Writes `text` to `fd`.
void report(int fd, const std::string& text);
/// A private mount namespace (root, or root of a new user namespace); false if impossible.
bool private_mounts();

}  // namespace ckpt_test
