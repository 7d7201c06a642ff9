// Running the built `socrates` executable as a child with a time limit: posix_spawn (fork+exec,
// never a bare fork after torch is loaded), stdout and stderr through files, and how it ended:
// exit status, the signal that killed it, or the time limit.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace socrates::test {

struct SpawnResult {
  int status = -1;        // exit status, or -1
  int signal = 0;         // the signal that ended it, or 0
  bool timed_out = false; // killed by us after the time limit
  std::string out, err;
  std::string describe() const {
    if (timed_out) return "timed out";
    if (signal) return "killed by signal " + std::to_string(signal);
    return "exit " + std::to_string(status);
  }
};

/// `socrates args...` as strings; `c_strings` gives posix_spawn its NULL-terminated view.
inline std::vector<std::string> socrates_argv(const std::vector<std::string>& args) {
  std::vector<std::string> v{SOCRATES_EXE};
  v.insert(v.end(), args.begin(), args.end());
  return v;
}

/// This process's environment with `env` set (a variable of the same name is replaced, not
/// shadowed: getenv would return the first of two).
inline std::vector<std::string> environment_with(const std::vector<std::pair<std::string, std::string>>& env) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    bool replaced = false;
    for (const auto& [k, v] : env) replaced = replaced || kv.rfind(k + "=", 0) == 0;
    if (!replaced) out.push_back(kv);
  }
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

inline std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

/// Where the output of a child started with start_socrates goes: both streams into `log`
/// (appended, or truncated first), or stderr onto `stderr_fd` (a pipe or a terminal) with
/// stdout to /dev/null; `close_fd` is a descriptor the child must not inherit open.
struct ChildOutput {
  std::filesystem::path log;
  bool truncate = false;
  int stderr_fd = -1;
  int close_fd = -1;
};

/// Starts `socrates args...` with `env` added to this process's environment and returns at
/// once: the child's pid, or -1 when posix_spawn failed.
inline pid_t start_socrates(const std::vector<std::string>& args, const ChildOutput& out,
                            const std::vector<std::pair<std::string, std::string>>& env = {}) {
  std::vector<std::string> argv_s = socrates_argv(args), env_s = environment_with(env);
  const std::vector<char*> argv = c_strings(argv_s), envp = c_strings(env_s);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (out.stderr_fd >= 0) {
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out.stderr_fd, 2);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, out.log.c_str(), O_WRONLY | O_CREAT | (out.truncate ? O_TRUNC : O_APPEND),
                                     0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  }
  if (out.close_fd >= 0) posix_spawn_file_actions_addclose(&fa, out.close_fd);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  return rc == 0 ? pid : -1;
}

/// Runs `socrates args...` in `scratch` (its working directory) with `env` added to this
/// process's environment; kills it with SIGKILL after `limit`.
inline SpawnResult spawn_socrates(const std::vector<std::string>& args, const std::filesystem::path& scratch,
                                  std::chrono::milliseconds limit = std::chrono::seconds(30),
                                  const std::vector<std::pair<std::string, std::string>>& env = {}) {
  std::filesystem::create_directories(scratch);
  const std::string out_file = (scratch / "stdout.txt").string(), err_file = (scratch / "stderr.txt").string();
  std::vector<std::string> argv_s = socrates_argv(args), env_s = environment_with(env);
  const std::vector<char*> argv = c_strings(argv_s), envp = c_strings(env_s);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addchdir_np(&fa, scratch.c_str());
  SpawnResult r;
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    r.err = "posix_spawn failed: " + std::to_string(rc);
    return r;
  }
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int st = 0;
  for (;;) {
    const pid_t w = ::waitpid(pid, &st, WNOHANG);
    if (w == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!r.timed_out) {
    if (WIFEXITED(st)) r.status = WEXITSTATUS(st);
    if (WIFSIGNALED(st)) r.signal = WTERMSIG(st);
  }
  auto slurp = [](const std::string& f) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  r.out = slurp(out_file);
  r.err = slurp(err_file);
  return r;
}

}  // namespace socrates::test
