// The scp sink's options, read from its config section and checked (errors name the key).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "socrates/checkpoint_rotation.hpp"
#include "socrates/config.hpp"

namespace socrates_scp {

struct ScpOptions {
  std::string host;
  std::string user;  // "" = ssh's default (~/.ssh/config, else the local user name)
  int port = 22;
  std::string path;  // remote folder, no trailing '/'; relative = under the remote home
  std::filesystem::path identity_file;     // "" = ssh's defaults and agent
  std::filesystem::path known_hosts_file;  // "" = ~/.ssh/known_hosts (and the system file)
  bool accept_unknown_hosts = false;
  std::vector<std::string> ssh_options;  // extra `-o` values, "Key=Value"
  socrates::RotationPolicy rotation;
  int retries = 3;
  double backoff_seconds = 2;
  int connect_timeout = 10;
  double flush_timeout = 1800;  // seconds; 0 = wait forever

  /// "user@host:port" (or "host:port"), for messages.
  std::string endpoint() const;
  /// "user@host:port:path", for messages.
  std::string target() const;
};

/// Reads and validates every option. Throws socrates::ConfigError naming the key.
ScpOptions parse_options(const socrates::ConfigSection& config);

}  // namespace socrates_scp
