// Options are checked when the sink is created (no server needed), and remote shell quoting.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "log/logging.hpp"
#include "plugin/plugin_library.hpp"
#include "remote_shell.hpp"
#include "plugin/host_services.hpp"
#include "socrates/checkpoint_sink.hpp"
#include "sshd_server.hpp"

namespace fs = std::filesystem;
using namespace socrates;

namespace {

std::shared_ptr<CheckpointSink> make(Table cfg, const fs::path& run_dir = {}) {
  static auto lib = PluginLibrary::load(SOCRATES_PLUGIN_FILE);
  cfg.emplace("host", "backup.example.org");
  cfg.emplace("path", "/srv/ckpt/run-1");
  for (const OptionSpec& o : lib->info().options)
    if (!cfg.count(o.key)) cfg.emplace(o.key, *o.default_value);
  PluginContext ctx;
  ctx.logger = host_logger();
  ctx.run_dir = run_dir;
  ctx.config = ConfigSection("checkpoint.sinks[0]", cfg);
  ctx.host = &host_services();
  return lib->create<CheckpointSink>(ctx);
}

// The ConfigError message for `cfg`, or "" if the sink accepts it.
std::string error_for(Table cfg) {
  try {
    make(std::move(cfg));
    return "";
  } catch (const ConfigError& e) {
    return e.what();
  }
}

}  // namespace

TEST(ScpSinkOptions, LoadsThroughThePluginLoader) {
  auto lib = PluginLibrary::load(SOCRATES_PLUGIN_FILE);
  EXPECT_EQ(lib->info().name, "scp");
  EXPECT_EQ(lib->info().concern, "checkpoint_sink");
  EXPECT_NO_THROW(make({}));
}

TEST(ScpSinkOptions, BadValuesNameTheirKey) {
  struct Case {
    Table cfg;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{{"port", 0}}, "checkpoint.sinks[0].port': must be in 1..65535"},
      {{{"port", 70000}}, "checkpoint.sinks[0].port'"},
      {{{"host", "me@backup"}}, "checkpoint.sinks[0].host'"},
      {{{"host", "-oProxyCommand=x"}}, "checkpoint.sinks[0].host'"},
      {{{"host", ""}}, "checkpoint.sinks[0].host'"},
      {{{"user", "a b"}}, "checkpoint.sinks[0].user'"},
      {{{"path", "~/ckpt"}}, "checkpoint.sinks[0].path': \"~/ckpt\" starts with '~'"},
      {{{"path", "/srv/*"}}, "checkpoint.sinks[0].path'"},
      {{{"path", "/srv/a\nb"}}, "checkpoint.sinks[0].path': contains a control character"},
      {{{"path", ""}}, "checkpoint.sinks[0].path'"},
      {{{"identity_file", "/nonexistent/id_ed25519"}}, "checkpoint.sinks[0].identity_file'"},
      {{{"known_hosts_file", "/nonexistent/known_hosts"}}, "checkpoint.sinks[0].known_hosts_file'"},
      {{{"ssh_options", Array{"StrictHostKeyChecking=no"}}}, "use the option accept_unknown_hosts instead"},
      {{{"ssh_options", Array{"userknownhostsfile=/dev/null"}}}, "use the option known_hosts_file instead"},
      {{{"ssh_options", Array{"-v"}}}, "checkpoint.sinks[0].ssh_options': \"-v\" is not an ssh option"},
      {{{"ssh_options", Array{"Compression"}}}, "checkpoint.sinks[0].ssh_options'"},
      {{{"keep_last", -1}}, "checkpoint.sinks[0].keep_last'"},
      {{{"retries", -1}}, "checkpoint.sinks[0].retries'"},
      {{{"backoff_seconds", 0.0}}, "checkpoint.sinks[0].backoff_seconds'"},
      {{{"connect_timeout", 0}}, "checkpoint.sinks[0].connect_timeout'"},
      {{{"flush_timeout", -1.0}}, "checkpoint.sinks[0].flush_timeout'"},
  };
  for (const Case& c : cases) {
    const std::string msg = error_for(c.cfg);
    EXPECT_NE(msg.find(c.needle), std::string::npos) << "expected \"" << c.needle << "\", got \"" << msg << "\"";
  }
  // A missing known_hosts file is fine when unknown hosts may be recorded into it.
  EXPECT_EQ(error_for({{"known_hosts_file", "/nonexistent/known_hosts"}, {"accept_unknown_hosts", true}}), "");
  EXPECT_EQ(error_for({{"ssh_options", Array{"ProxyJump=bastion", "ServerAliveInterval 30"}}}), "");
  EXPECT_EQ(error_for({{"host", "fe80::1"}, {"path", "relative/ckpt/"}}), "");
}

TEST(ScpSinkOptions, WithoutARunDirectoryPutIsRefusedAndFlushIsANoOp) {
  auto sink = make({});  // as `socrates validate` creates it
  try {
    sink->put({10, "/nonexistent", {}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs a run directory"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(sink->flush());
}

// sh_quote must give back the exact string through a real POSIX shell.
TEST(ScpRemoteShell, QuotingSurvivesTheShell) {
  const fs::path tmp = fs::temp_directory_path() / ("socrates-scp-quote-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  const std::vector<std::string> words = {"plain", "it's", "a b", "$HOME", "`id`", "$(id)", "\\n", "'", "''",
                                          "-n", "*", "x;rm -rf y", "\"q\"", "tab\there", "ünï"};
  for (std::size_t i = 0; i < words.size(); ++i) {
    const fs::path out = tmp / ("out-" + std::to_string(i));
    ASSERT_EQ(socrates::testing::run_program({"sh", "-c", "printf '%s' " + socrates_scp::sh_quote(words[i])}, out), 0);
    std::ifstream in(out, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    EXPECT_EQ(ss.str(), words[i]);
  }
  fs::remove_all(tmp);
}
