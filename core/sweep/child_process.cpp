#include "sweep/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>

#include "socrates/error.hpp"

extern char** environ;

namespace socrates::sweep {

pid_t spawn_child(const ChildSpec& spec) {
  // Everything the child needs is built before fork: after it only async-signal-safe calls.
  std::vector<std::string> argv_s{spec.exe.string()};
  argv_s.insert(argv_s.end(), spec.args.begin(), spec.args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    const std::string key = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [k, v] : spec.env) replaced = replaced || k == key;
    if (!replaced) env_s.push_back(entry);
  }
  for (const auto& [k, v] : spec.env) env_s.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (std::string& s : env_s) envp.push_back(s.data());
  envp.push_back(nullptr);

  const int log = ::open(spec.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) throw Error("cannot open " + spec.log.string() + ": " + std::strerror(errno));
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  const pid_t parent = ::getpid();

  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    ::close(log);
    if (devnull >= 0) ::close(devnull);
    throw Error(std::string("cannot start a variant process (fork): ") + std::strerror(e));
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // the sweep died before prctl
    if (devnull >= 0) ::dup2(devnull, 0);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::execve(argv[0], argv.data(), envp.data());
    static const char msg[] = "socrates sweep: cannot execute the socrates executable\n";
    [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(log);
  if (devnull >= 0) ::close(devnull);
  return pid;
}

std::optional<ChildExit> wait_child(bool block) {
  int status = 0;
  rusage ru{};
  const pid_t pid = ::wait4(-1, &status, block ? 0 : WNOHANG, &ru);
  if (pid <= 0) return std::nullopt;
  ChildExit e;
  e.pid = pid;
  if (WIFEXITED(status)) e.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) e.signal = WTERMSIG(status);
  e.max_rss_gib = static_cast<double>(ru.ru_maxrss) / (1024.0 * 1024.0);  // ru_maxrss is in KiB
  return e;
}

std::string last_error_lines(const std::filesystem::path& log, std::size_t max_chars) {
  std::ifstream in(log);
  std::string line, last;
  std::deque<std::string> errors;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    last = line;
    if (line.find("[error]") != std::string::npos || line.find("[critical]") != std::string::npos ||
        line.find("error:") != std::string::npos) {
      errors.push_back(line);
      if (errors.size() > 3) errors.pop_front();
    }
  }
  std::string out;
  for (const std::string& e : errors) out += (out.empty() ? "" : "\n") + e;
  if (out.empty()) out = last;
  if (out.size() > max_chars) out = "…" + out.substr(out.size() - max_chars);
  return out;
}

}  // namespace socrates::sweep
