#include "sshd_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace fs = std::filesystem;

namespace socrates::testing {

namespace {

constexpr const char* kSshd = "/usr/sbin/sshd";

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

pid_t spawn(const std::vector<std::string>& argv, const fs::path& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool accepts(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// "ssh-ed25519 AAAA..." from a .pub file (its comment dropped).
std::string public_key(const fs::path& pub) {
  std::istringstream in(read_file(pub));
  std::string type, key;
  in >> type >> key;
  if (key.empty()) throw std::runtime_error("sshd harness: " + pub.string() + " holds no public key");
  return type + " " + key;
}

void keygen(const fs::path& key, const fs::path& log) {
  fs::remove(key);
  fs::remove(fs::path(key.string() + ".pub"));
  if (run_program({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "socrates-test", "-f", key.string()}, log) != 0)
    throw std::runtime_error("sshd harness: ssh-keygen failed for " + key.string() + ": " + read_file(log));
}

}  // namespace

int run_program(const std::vector<std::string>& argv, const fs::path& log) {
  const pid_t pid = spawn(argv, log);
  return pid < 0 ? -1 : wait_exit(pid);
}

int free_local_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error(std::string("sshd harness: cannot find a free port: ") + std::strerror(errno));
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string SshdServer::unavailable() {
  if (::access(kSshd, X_OK) != 0)
    return std::string(kSshd) + " is not installed (apt-get install openssh-server; scripts/setup.sh does)";
  for (const char* tool : {"ssh", "scp", "ssh-keygen"}) {
    bool found = false;
    const char* path = std::getenv("PATH");
    std::istringstream dirs(path ? path : "/usr/bin:/bin");
    for (std::string d; std::getline(dirs, d, ':');)
      found = found || ::access((fs::path(d) / tool).c_str(), X_OK) == 0;
    if (!found) return std::string(tool) + " is not installed (apt-get install openssh-client)";
  }
  return "";
}

SshdServer::SshdServer(fs::path dir) : dir_(fs::absolute(std::move(dir))) {
  const passwd* pw = ::getpwuid(::geteuid());
  if (!pw) throw std::runtime_error("sshd harness: the current user has no passwd entry; ssh cannot log it in");
  user_ = pw->pw_name;
  fs::create_directories(dir_);
  fs::permissions(dir_, fs::perms::owner_all);
  port_ = free_local_port();
  const fs::path log = dir_ / "keygen.log";
  keygen(dir_ / "host_key", log);
  keygen(dir_ / "user_key", log);
  std::ofstream(dir_ / "authorized_keys") << public_key(dir_ / "user_key.pub") << "\n";
  std::ofstream(known_hosts()) << known_hosts_line() << "\n";
  std::ofstream cfg(dir_ / "sshd_config");
  cfg << "ListenAddress " << host_ << "\n"
      << "Port " << port_ << "\n"
      << "HostKey " << (dir_ / "host_key").string() << "\n"
      << "AuthorizedKeysFile " << (dir_ / "authorized_keys").string() << "\n"
      << "PidFile " << (dir_ / "sshd.pid").string() << "\n"
      << "StrictModes no\n"
      << "UsePAM no\n"
      << "PasswordAuthentication no\n"
      << "KbdInteractiveAuthentication no\n"
      << "PubkeyAuthentication yes\n"
      << "PermitRootLogin prohibit-password\n"
      << "AllowUsers " << user_ << "\n"
      << "UseDNS no\n"
      << "PrintMotd no\n"
      << "X11Forwarding no\n"
      << "MaxStartups 100\n"
      << "Subsystem sftp internal-sftp\n";
}

SshdServer::~SshdServer() { stop(); }

std::string SshdServer::known_hosts_line() const {
  return "[" + host_ + "]:" + std::to_string(port_) + " " + public_key(dir_ / "host_key.pub");
}

void SshdServer::write_wrong_known_hosts(const fs::path& file) const {
  const fs::path other = dir_ / "other_host_key";
  keygen(other, dir_ / "keygen.log");
  std::ofstream(file) << "[" << host_ << "]:" << port_ << " " << public_key(fs::path(other.string() + ".pub")) << "\n";
}

std::string SshdServer::log() const { return read_file(dir_ / "sshd.log"); }

void SshdServer::start() {
  if (running()) return;
  // sshd's privilege separation needs this folder when it runs as root.
  if (::geteuid() == 0) fs::create_directories("/run/sshd");
  pid_ = spawn({kSshd, "-D", "-e", "-f", (dir_ / "sshd_config").string()}, dir_ / "sshd.log");
  if (pid_ < 0) throw std::runtime_error(std::string("sshd harness: cannot run ") + kSshd);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!accepts(port_)) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("sshd harness: sshd exited at start; its log:\n" + log());
    }
    if (std::chrono::steady_clock::now() > deadline) {
      stop();
      throw std::runtime_error("sshd harness: sshd does not accept on port " + std::to_string(port_) +
                               " after 30 s; its log:\n" + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

void SshdServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  wait_exit(pid_);
  pid_ = -1;
}

}  // namespace socrates::testing
