// A real OpenSSH server (Debian's openssh-server) for tests, on 127.0.0.1 only.
//
//   if (auto why = SshdServer::unavailable(); !why.empty()) GTEST_SKIP() << why;
//   SshdServer sshd(tmp / "sshd");   // keys, authorized_keys, known_hosts, sshd_config
//   sshd.start();                    // runs /usr/sbin/sshd -D -e -f ..., waits until it accepts
//   ... ssh -p sshd.port() -i sshd.user_key() -o UserKnownHostsFile=sshd.known_hosts() ...
//   sshd.stop();                     // or let the destructor do it
//
// It logs in the user running the test (root in containers), with the generated ed25519
// key only. The port is picked free when the object is made, so a test can point a client
// at it before the server runs ("host unreachable"), then start() it.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace socrates::testing {

class SshdServer {
 public:
  /// "" when /usr/sbin/sshd and ssh-keygen are installed; else the reason, for GTEST_SKIP.
  static std::string unavailable();

  /// Creates `dir` with an ed25519 host key, a user key, authorized_keys, known_hosts
  /// ("[127.0.0.1]:PORT ssh-ed25519 ...") and sshd_config for a free port. Does not start.
  /// Throws std::runtime_error if ssh-keygen fails.
  explicit SshdServer(std::filesystem::path dir);
  ~SshdServer();
  SshdServer(const SshdServer&) = delete;
  SshdServer& operator=(const SshdServer&) = delete;

  /// Runs sshd and waits (up to 30 s) until it accepts TCP connections. Throws
  /// std::runtime_error with sshd's log if it exits or never listens.
  void start();
  /// SIGTERM, then waits for sshd to exit. Safe to call twice.
  void stop();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  const std::string& host() const { return host_; }  // "127.0.0.1"
  const std::string& user() const { return user_; }  // the local user sshd lets in
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path user_key() const { return dir_ / "user_key"; }       // private key
  std::filesystem::path known_hosts() const { return dir_ / "known_hosts"; }  // trusts this server
  /// The known_hosts line of this server.
  std::string known_hosts_line() const;
  /// Writes `file` with a known_hosts line for [127.0.0.1]:PORT carrying ANOTHER key (as
  /// after a reinstall, or a man-in-the-middle).
  void write_wrong_known_hosts(const std::filesystem::path& file) const;
  /// sshd's output so far (-e: its log goes to stderr, captured in dir/sshd.log).
  std::string log() const;

 private:
  std::filesystem::path dir_;
  std::string host_ = "127.0.0.1";
  std::string user_;
  int port_ = 0;
  pid_t pid_ = -1;
};

/// Runs a program (argv[0] searched in PATH) with stdout and stderr appended to `log`;
/// returns its exit status (-1 if it could not start or died from a signal).
int run_program(const std::vector<std::string>& argv, const std::filesystem::path& log);

/// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_local_port();

}  // namespace socrates::testing
