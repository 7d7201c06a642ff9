// Runs the system OpenSSH client (ssh, scp) as child processes with the sink's options:
// key authentication, BatchMode (never prompts), host keys checked against known_hosts.
#pragma once

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "process.hpp"
#include "scp_options.hpp"
#include "socrates/error.hpp"

namespace socrates_scp {

/// ssh or scp failed (connection, authentication, host key, remote command): worth retrying.
class TransportError : public socrates::Error {
 public:
  using socrates::Error::Error;
};

class SshClient {
 public:
  /// `cancel` (may be null) aborts a running command when set (see run_process).
  SshClient(const ScpOptions& options, const std::atomic<bool>* cancel);

  /// Runs `script` on the remote host and returns its stdout. Throws TransportError naming
  /// the endpoint, saying what failed and what to check, when ssh or the script fails.
  std::string run(const std::string& script, const std::string& what) const;
  /// scp -r local_dir host:remote_dir (remote_dir must not exist; its parent must).
  void upload(const std::filesystem::path& local_dir, const std::string& remote_dir, const std::string& what) const;
  /// scp -r host:remote_dir local_dir (local_dir must not exist).
  void download(const std::string& remote_dir, const std::filesystem::path& local_dir, const std::string& what) const;

  /// The options both ssh and scp get (exposed for tests).
  std::vector<std::string> common_args() const;

 private:
  std::string remote_spec(const std::string& remote_path) const;
  ProcessResult exec(std::vector<std::string> argv) const;
  [[noreturn]] void fail(const ProcessResult& r, const std::string& what) const;

  ScpOptions o_;
  const std::atomic<bool>* cancel_;
};

/// What to check for a failed ssh/scp, from its stderr ("" if nothing specific is known).
std::string ssh_failure_hint(const std::string& stderr_text, const ScpOptions& o);

}  // namespace socrates_scp
