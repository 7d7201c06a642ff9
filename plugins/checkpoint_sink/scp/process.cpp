#include "process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

extern char** environ;

namespace socrates_scp {

namespace {

constexpr std::size_t kMaxOutput = 256u << 20;  // stdout: remote manifests, a few MB at most
constexpr std::size_t kMaxError = 1u << 20;

struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

void append_capped(std::string& s, const char* data, std::size_t n, std::size_t cap) {
  if (s.size() < cap) s.append(data, std::min(n, cap - s.size()));
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, const std::atomic<bool>* cancel) {
  ProcessResult r;
  if (argv.empty()) return r;
  Pipe out, err;
  // O_CLOEXEC: children spawned concurrently by other threads must not inherit these.
  if (::pipe2(out.fd, O_CLOEXEC) != 0 || ::pipe2(err.fd, O_CLOEXEC) != 0) {
    r.err = std::string("cannot create a pipe: ") + std::strerror(errno);
    return r;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
  // The child starts with default SIGPIPE/SIGTERM handling whatever the host installed.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGTERM);
  sigaddset(&defaults, SIGINT);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    r.err = "cannot run '" + argv[0] + "': " + std::strerror(rc);
    return r;
  }
  out.close_end(1);
  err.close_end(1);

  using Clock = std::chrono::steady_clock;
  bool term_sent = false;
  Clock::time_point term_at;
  pollfd fds[2] = {{out.fd[0], POLLIN, 0}, {err.fd[0], POLLIN, 0}};
  char buf[65536];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (cancel && cancel->load() && !term_sent) {
      ::kill(pid, SIGTERM);
      term_sent = true;
      term_at = Clock::now();
      r.cancelled = true;
    }
    if (term_sent && Clock::now() - term_at > std::chrono::seconds(5)) {
      ::kill(pid, SIGKILL);
      if (Clock::now() - term_at > std::chrono::seconds(6)) break;  // a grandchild holds the pipes
    }
    const int n = ::poll(fds, 2, 200);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        append_capped(i == 0 ? r.out : r.err, buf, static_cast<std::size_t>(got), i == 0 ? kMaxOutput : kMaxError);
      } else if (got == 0 || errno != EINTR) {
        fds[i].fd = -1;  // EOF; the Pipe closes it
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace socrates_scp
