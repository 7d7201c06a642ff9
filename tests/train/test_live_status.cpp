// The live progress line: on a terminal (a pseudo-terminal here) training draws one in-place
// status line that log lines scroll above; with --log-format plain, or off a terminal, only
// the log lines are written.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <poll.h>
#include <pty.h>

#include <filesystem>
#include <random>
#include <regex>

#include "log/live_status.hpp"
#include "socrates/error.hpp"
#include "spawn_cli.hpp"

namespace fs = std::filesystem;

namespace {

const std::string kErase = "\r\x1b[2K";

fs::path scratch() {
  static const fs::path d = fs::temp_directory_path() / ("socrates-live-" + std::to_string(std::random_device{}()));
  return d;
}

std::vector<std::string> tiny_run(const std::string& name, const std::vector<std::string>& more) {
  std::vector<std::string> a{"run", (fs::path(SOCRATES_SOURCE_DIR) / "experiments/quickstart.toml").string(),
                             "--set", "run.name=" + name, "--set", "run.output_dir=" + (scratch() / "runs").string(),
                             "--set", "data.cache_dir=" + (scratch() / "cache").string(), "--set", "data.inspect_examples=0",
                             "--set", "dataset.max_rows=40", "--set", "training.max_steps=4", "--set",
                             "training.global_batch_size=4", "--set", "training.micro_batch_size=4", "--set",
                             "training.log_every=2", "--set", "training.eval_every=0", "--set",
                             "training.sample_generations=0", "--set", "evaluation.during_training=false",
                             "--set", "evaluation.max_examples=4", "--set", "evaluation.compare_base=false"};
  a.insert(a.end(), more.begin(), more.end());
  return a;
}

// Runs socrates with stderr on a pseudo-terminal (or a pipe) and returns what it wrote there.
std::string run_on(bool terminal, const std::vector<std::string>& args) {
  int master = -1, slave = -1;
  if (terminal) {
    EXPECT_EQ(openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  } else {
    int p[2];
    EXPECT_EQ(pipe(p), 0);
    master = p[0], slave = p[1];
  }
  const pid_t pid = socrates::test::start_socrates(args, {.stderr_fd = slave, .close_fd = master},
                                                   {{"TERM", "xterm"}, {"OMP_NUM_THREADS", "1"}});
  EXPECT_GT(pid, 0);
  close(slave);
  std::string out;
  char buf[4096];
  for (;;) {  // until the child's end closes the terminal (EIO) or the pipe (EOF)
    pollfd p{master, POLLIN, 0};
    if (poll(&p, 1, 300000) <= 0) break;
    const ssize_t n = read(master, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  close(master);
  int st = 0;
  waitpid(pid, &st, 0);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << out;
  return out;
}

class LiveStatus : public testing::Test {
 protected:
  static void SetUpTestSuite() { fs::create_directories(scratch()); }
  static void TearDownTestSuite() { fs::remove_all(scratch()); }
};

}  // namespace

TEST_F(LiveStatus, ATerminalGetsOneLineRedrawnInPlace) {
  const std::string out = run_on(true, tiny_run("tty", {}));
  EXPECT_THAT(out, testing::HasSubstr(kErase + "train ["));
  EXPECT_THAT(out, testing::HasSubstr("step 4/4 | loss "));
  EXPECT_THAT(out, testing::HasSubstr("tok/s"));
  EXPECT_THAT(out, testing::HasSubstr("ETA"));
  // The periodic log lines are still there, each at the start of a line: the status line is
  // erased before every one of them (the colour code, if any, comes first).
  const std::regex header("(\x1b\\[[0-9;]*m)*\\[\\d\\d:\\d\\d:\\d\\d [A-Z]\\]");
  int lines = 0;
  for (auto it = std::sregex_iterator(out.begin(), out.end(), header); it != std::sregex_iterator(); ++it, ++lines) {
    const auto at = static_cast<std::size_t>(it->position());
    const bool fresh = at == 0 || out[at - 1] == '\n' || (at >= kErase.size() && out.compare(at - kErase.size(), kErase.size(), kErase) == 0);
    EXPECT_TRUE(fresh) << "a log line was drawn over the status line at byte " << at;
  }
  EXPECT_GT(lines, 3);
  // Nothing is left on the last line: the status line is cleared when training ends.
  EXPECT_THAT(out, testing::HasSubstr("W1"));
}

TEST_F(LiveStatus, PlainFormatAndPipesGetLogLinesOnly) {
  for (const bool terminal : {true, false}) {
    const std::string out =
        run_on(terminal, tiny_run(terminal ? "plain" : "pipe", terminal ? std::vector<std::string>{"--log-format", "plain"}
                                                                        : std::vector<std::string>{}));
    EXPECT_THAT(out, testing::Not(testing::HasSubstr("\x1b[2K"))) << (terminal ? "plain" : "pipe");
    EXPECT_THAT(out, testing::HasSubstr("step 4/4 | loss ")) << (terminal ? "plain" : "pipe");
  }
}

TEST(LiveStatusText, BarsAndDurations) {
  EXPECT_EQ(socrates::progress_bar(0.5, 10), "[#####.....]  50%");
  EXPECT_EQ(socrates::progress_bar(2.0, 4), "[####] 100%");
  EXPECT_EQ(socrates::progress_bar(-1, 4), "[....]   0%");
  EXPECT_EQ(socrates::duration_text(42), "42s");
  EXPECT_EQ(socrates::duration_text(185), "3m05s");
  EXPECT_EQ(socrates::duration_text(7620), "2h07m");
  EXPECT_EQ(socrates::duration_text(std::nan("")), "?");
}

TEST(LiveStatusText, UnknownFormatIsAClearError) {
  EXPECT_THAT([] { socrates::set_log_format("fancy"); },
              testing::ThrowsMessage<socrates::ConfigError>(testing::HasSubstr("use auto")));
}
