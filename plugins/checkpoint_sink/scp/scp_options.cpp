#include "scp_options.hpp"

#include <algorithm>
#include <cctype>

namespace fs = std::filesystem;

namespace socrates_scp {

namespace {

bool has_control_char(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// ssh options the sink sets itself: overriding them would bypass a check or another option.
const char* managed_by(const std::string& key) {
  static const std::pair<const char*, const char*> kManaged[] = {
      {"stricthostkeychecking", "accept_unknown_hosts"}, {"userknownhostsfile", "known_hosts_file"},
      {"identityfile", "identity_file"},                   {"batchmode", "(always yes: the sink never prompts)"},
      {"port", "port"},                                   {"user", "user"},
      {"connecttimeout", "connect_timeout"},
  };
  for (const auto& [k, option] : kManaged)
    if (key == k) return option;
  return nullptr;
}

void check_host(const socrates::ConfigSection& c, const std::string& host) {
  if (host.empty()) throw c.error("host", "must name the SSH server (a host name, an IP address or a ~/.ssh/config alias)");
  if (host.front() == '-' || has_control_char(host) ||
      host.find_first_of(" \t@/[]'\"\\") != std::string::npos)
    throw c.error("host", "\"" + host + "\" is not a host name: use a name, IPv4/IPv6 address or ~/.ssh/config alias, "
                  "without user@, brackets, spaces or a leading '-' (the user goes in 'user', the port in 'port')");
}

void check_user(const socrates::ConfigSection& c, const std::string& user) {
  if (user.empty()) return;
  if (user.front() == '-' || has_control_char(user) || user.find_first_of(" \t@:/'\"\\") != std::string::npos)
    throw c.error("user", "\"" + user + "\" is not a user name (no spaces, '@', ':', '/', quotes or leading '-')");
}

std::string check_path(const socrates::ConfigSection& c, std::string path) {
  if (path.empty()) throw c.error("path", "must name the remote folder for checkpoints, e.g. \"/data/ckpt/run-1\"");
  if (has_control_char(path)) throw c.error("path", "contains a control character (newline, tab, ...)");
  // scp downloads glob the remote path; forbidding the pattern characters keeps paths literal.
  if (path.find_first_of("*?[]\\") != std::string::npos)
    throw c.error("path", "\"" + path + "\" contains one of * ? [ ] \\, which scp would treat as a pattern");
  if (path.front() == '~')
    throw c.error("path", "\"" + path + "\" starts with '~': write the folder relative to the remote home "
                  "(\"ckpt/run-1\") or as an absolute path; the sink does not expand '~'");
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

void check_ssh_options(const socrates::ConfigSection& c, const std::vector<std::string>& options) {
  for (const std::string& o : options) {
    const std::string key = lower(o.substr(0, o.find_first_of("= \t")));
    if (o.empty() || o.front() == '-' || has_control_char(o) || key.empty() || key.size() == o.size())
      throw c.error("ssh_options", "\"" + o + "\" is not an ssh option; write \"Key=Value\" as for ssh -o, "
                    "e.g. \"ServerAliveInterval=30\" or \"ProxyJump=bastion\"");
    if (const char* option = managed_by(key))
      throw c.error("ssh_options", "\"" + o + "\" is set by the sink; use the option " + option + " instead");
  }
}

}  // namespace

std::string ScpOptions::endpoint() const {
  return (user.empty() ? "" : user + "@") + host + ":" + std::to_string(port);
}

std::string ScpOptions::target() const { return endpoint() + ":" + path; }

ScpOptions parse_options(const socrates::ConfigSection& c) {
  ScpOptions o;
  o.host = c.get<std::string>("host");
  check_host(c, o.host);
  o.user = c.get<std::string>("user");
  check_user(c, o.user);
  const std::int64_t port = c.get<std::int64_t>("port");
  if (port < 1 || port > 65535) throw c.error("port", "must be in 1..65535, got " + std::to_string(port));
  o.port = static_cast<int>(port);
  o.path = check_path(c, c.get<std::string>("path"));

  o.identity_file = c.get<fs::path>("identity_file");
  std::error_code ec;
  if (!o.identity_file.empty() && !fs::is_regular_file(o.identity_file, ec))
    throw c.error("identity_file", o.identity_file.string() + " does not exist or is not a file; create a key "
                  "with `ssh-keygen -t ed25519 -f " + o.identity_file.string() + "` and add its .pub to the "
                  "server's authorized_keys, or leave identity_file empty to use ssh's defaults and agent");
  o.known_hosts_file = c.get<fs::path>("known_hosts_file");
  o.accept_unknown_hosts = c.get<bool>("accept_unknown_hosts");
  if (!o.known_hosts_file.empty() && !o.accept_unknown_hosts && !fs::is_regular_file(o.known_hosts_file, ec))
    throw c.error("known_hosts_file", o.known_hosts_file.string() + " does not exist, so no host key could be "
                  "trusted; add the server's key (`ssh-keyscan -p PORT HOST`, then check its fingerprint) or set "
                  "accept_unknown_hosts = true to trust it on first use");
  o.ssh_options = c.get<std::vector<std::string>>("ssh_options");
  check_ssh_options(c, o.ssh_options);

  o.rotation.keep_last = c.get<std::int64_t>("keep_last");
  if (o.rotation.keep_last < 0)
    throw c.error("keep_last", "must be >= 0 (0 keeps every checkpoint), got " + std::to_string(o.rotation.keep_last));
  o.rotation.keep_best = c.get<std::string>("keep_best");
  o.rotation.best_mode = c.get<std::string>("best_mode");
  if (o.rotation.best_mode != "min" && o.rotation.best_mode != "max")
    throw c.error("best_mode", "must be \"min\" or \"max\", got \"" + o.rotation.best_mode + "\"");

  const std::int64_t retries = c.get<std::int64_t>("retries");
  if (retries < 0 || retries > 1000) throw c.error("retries", "must be in 0..1000, got " + std::to_string(retries));
  o.retries = static_cast<int>(retries);
  o.backoff_seconds = c.get<double>("backoff_seconds");
  if (!(o.backoff_seconds > 0 && o.backoff_seconds <= 3600))
    throw c.error("backoff_seconds", "must be in (0, 3600], got " + std::to_string(o.backoff_seconds));
  const std::int64_t timeout = c.get<std::int64_t>("connect_timeout");
  if (timeout < 1 || timeout > 3600)
    throw c.error("connect_timeout", "must be in 1..3600 seconds, got " + std::to_string(timeout));
  o.connect_timeout = static_cast<int>(timeout);
  o.flush_timeout = c.get<double>("flush_timeout");
  if (!(o.flush_timeout >= 0))
    throw c.error("flush_timeout", "must be >= 0 seconds (0 waits forever), got " + std::to_string(o.flush_timeout));
  return o;
}

}  // namespace socrates_scp
