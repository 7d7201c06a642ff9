#include "ssh_client.hpp"

#include "remote_shell.hpp"

namespace fs = std::filesystem;

namespace socrates_scp {

namespace {

// ssh expands %-tokens in IdentityFile and UserKnownHostsFile; a literal % is written %%.
std::string escape_percent(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '%' ? std::string("%%") : std::string(1, c);
  return out;
}

bool contains(const std::string& s, const char* needle) { return s.find(needle) != std::string::npos; }

// The last few non-empty lines of stderr, joined with " | ".
std::string tail_lines(const std::string& text, std::size_t max_lines = 4) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    line.erase(0, line.find_first_not_of(" \t"));
    // ssh's warning banner about a changed key is a wall of '@'; keep the informative lines.
    if (!line.empty() && line.find("@@@@") == std::string::npos) lines.push_back(line);
    start = end + 1;
  }
  std::string out;
  const std::size_t first = lines.size() > max_lines ? lines.size() - max_lines : 0;
  for (std::size_t i = first; i < lines.size(); ++i) out += (out.empty() ? "" : " | ") + lines[i];
  return out;
}

std::string known_hosts_name(const ScpOptions& o) {
  return o.known_hosts_file.empty() ? std::string("~/.ssh/known_hosts") : o.known_hosts_file.string();
}

std::string host_key_name(const ScpOptions& o) {
  return o.port == 22 ? o.host : "[" + o.host + "]:" + std::to_string(o.port);
}

}  // namespace

std::string ssh_failure_hint(const std::string& err, const ScpOptions& o) {
  const std::string kh = known_hosts_name(o);
  const std::string port = std::to_string(o.port);
  if (contains(err, "REMOTE HOST IDENTIFICATION HAS CHANGED") || contains(err, "IDENTIFICATION HAS CHANGED"))
    return "the host key of " + host_key_name(o) + " differs from the one in " + kh +
           ": someone may be intercepting the connection, or the server was reinstalled. Check the new key's "
           "fingerprint with the server's administrator, then remove the old entry (ssh-keygen -R '" +
           host_key_name(o) + "' -f " + kh + ") and add the new one";
  if (contains(err, "Host key verification failed") || contains(err, "host key is known"))
    return host_key_name(o) + " is not in " + kh + ", and unknown hosts are refused. Add its key after "
           "checking the fingerprint (ssh-keyscan -p " + port + " " + o.host + " >> " + kh +
           "; ssh-keygen -lf " + kh + "), or set accept_unknown_hosts = true to trust it on first use";
  if (contains(err, "Permission denied"))
    return "the server refused the key: check identity_file (" +
           (o.identity_file.empty() ? std::string("ssh's default keys and agent") : o.identity_file.string()) +
           ") and that its .pub is in the server's ~" + (o.user.empty() ? std::string("USER") : o.user) +
           "/.ssh/authorized_keys";
  if (contains(err, "Connection refused"))
    return "nothing accepts connections on " + o.host + ":" + port + ": is sshd running there, and is port " + port +
           " right?";
  if (contains(err, "timed out") || contains(err, "No route to host") || contains(err, "Network is unreachable"))
    return o.host + ":" + port + " did not answer within connect_timeout (" + std::to_string(o.connect_timeout) +
           " s): is the host up, and does a firewall let port " + port + " through?";
  if (contains(err, "Could not resolve hostname") || contains(err, "Name or service not known"))
    return "the name '" + o.host + "' does not resolve: check the option host (and ~/.ssh/config)";
  if (contains(err, "No space left on device") || contains(err, "Disk quota exceeded"))
    return "the remote disk is full: free space under " + o.path + " or lower keep_last";
  if (contains(err, "Connection closed") || contains(err, "Connection reset") || contains(err, "Broken pipe"))
    return "the connection to " + o.host + ":" + port + " broke: check the network and the server's sshd log";
  return "";
}

SshClient::SshClient(const ScpOptions& options, const std::atomic<bool>* cancel) : o_(options), cancel_(cancel) {}

std::vector<std::string> SshClient::common_args() const {
  std::vector<std::string> a;
  // ssh keeps the first value it sees for an option: the user's extra options come first so
  // they can change the keep-alive defaults below; the keys the sink manages are refused
  // in parse_options, so nothing here can be weakened.
  for (const std::string& opt : o_.ssh_options) a.insert(a.end(), {"-o", opt});
  a.insert(a.end(), {"-o", "BatchMode=yes", "-o", "ConnectTimeout=" + std::to_string(o_.connect_timeout), "-o",
                     std::string("StrictHostKeyChecking=") + (o_.accept_unknown_hosts ? "accept-new" : "yes"), "-o",
                     "UpdateHostKeys=no", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4"});
  if (!o_.known_hosts_file.empty())
    a.insert(a.end(), {"-o", "UserKnownHostsFile=\"" + escape_percent(o_.known_hosts_file.string()) + "\""});
  if (!o_.identity_file.empty())
    a.insert(a.end(), {"-i", escape_percent(o_.identity_file.string()), "-o", "IdentitiesOnly=yes"});
  return a;
}

std::string SshClient::remote_spec(const std::string& remote_path) const {
  const bool ipv6 = o_.host.find(':') != std::string::npos;
  return (o_.user.empty() ? "" : o_.user + "@") + (ipv6 ? "[" + o_.host + "]" : o_.host) + ":" + remote_path;
}

ProcessResult SshClient::exec(std::vector<std::string> argv) const {
  ProcessResult r = run_process(argv, cancel_);
  if (r.cancelled) throw TransportError("scp sink: cancelled while talking to " + o_.endpoint());
  return r;
}

void SshClient::fail(const ProcessResult& r, const std::string& what) const {
  std::string msg = "scp sink: " + what + " on " + o_.endpoint() + " failed";
  if (r.exit_code == kNoShaTool) msg += " (the remote host needs sha256sum or shasum)";
  if (r.exit_code == kNoRoot) msg += " (cannot enter the remote folder " + o_.path + ")";
  msg += r.exit_code < 0 ? " (the command did not run or was killed)" : " (exit " + std::to_string(r.exit_code) + ")";
  std::string tail = tail_lines(r.err);
  while (!tail.empty() && tail.back() == '.') tail.pop_back();
  if (!tail.empty()) msg += ": " + tail;
  const std::string hint = ssh_failure_hint(r.err, o_);
  if (!hint.empty()) msg += ". Check: " + hint;
  throw TransportError(msg);
}

std::string SshClient::run(const std::string& script, const std::string& what) const {
  std::vector<std::string> argv{"ssh"};
  for (std::string& a : common_args()) argv.push_back(std::move(a));
  argv.insert(argv.end(), {"-p", std::to_string(o_.port)});
  if (!o_.user.empty()) argv.insert(argv.end(), {"-l", o_.user});
  argv.insert(argv.end(), {"--", o_.host, script});
  ProcessResult r = exec(std::move(argv));
  if (r.exit_code != 0) fail(r, what);
  return r.out;
}

void SshClient::upload(const fs::path& local_dir, const std::string& remote_dir, const std::string& what) const {
  std::vector<std::string> argv{"scp", "-r", "-q"};
  for (std::string& a : common_args()) argv.push_back(std::move(a));
  // Absolute local paths: scp would take "a:b" for a remote path, but never "/a:b".
  argv.insert(argv.end(), {"-P", std::to_string(o_.port), fs::absolute(local_dir).string(), remote_spec(remote_dir)});
  ProcessResult r = exec(std::move(argv));
  if (r.exit_code != 0) fail(r, what);
}

void SshClient::download(const std::string& remote_dir, const fs::path& local_dir, const std::string& what) const {
  std::vector<std::string> argv{"scp", "-r", "-q"};
  for (std::string& a : common_args()) argv.push_back(std::move(a));
  argv.insert(argv.end(), {"-P", std::to_string(o_.port), remote_spec(remote_dir), fs::absolute(local_dir).string()});
  ProcessResult r = exec(std::move(argv));
  if (r.exit_code != 0) fail(r, what);
}

}  // namespace socrates_scp
