#include "cli/launcher.hpp"

#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <csignal>
#include <filesystem>
#include <optional>
#include <thread>

#include "log/logging.hpp"
#include "socrates/error.hpp"

namespace socrates::cli {

namespace {

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_launcher_signal(int signo) { g_stop = signo; }

const char* const kLaunchFlags[] = {"--nproc-per-node", "--nnodes", "--node-rank", "--master-addr", "--master-port",
                                    "--stop-grace-s"};

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    throw Error("cannot find a free TCP port for the ranks to meet on; pass --master-port");
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string describe(int status) {
  if (WIFSIGNALED(status)) {
    const int s = WTERMSIG(status);
    return "was killed by signal " + std::to_string(s) + (s == SIGKILL ? " (SIGKILL: out of memory, or killed)" : "");
  }
  return "exited with status " + std::to_string(WEXITSTATUS(status));
}

int code_of(int status) { return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status); }

}  // namespace

void add_launch_options(po::options_description& opts, LaunchOptions& o) {
  opts.add_options()("nproc-per-node", po::value<int>(&o.nproc_per_node)->default_value(0),
                     "start N ranks on this machine (torchrun's environment; 0: this process is one rank)")(
      "nnodes", po::value<int>(&o.nnodes)->default_value(1), "machines taking part (with --nproc-per-node)")(
      "node-rank", po::value<int>(&o.node_rank)->default_value(0), "this machine's number, 0 .. nnodes-1")(
      "master-addr", po::value<std::string>(&o.master_addr)->default_value("127.0.0.1"),
      "address of node 0, where rank 0 serves the rendezvous store")(
      "master-port", po::value<int>(&o.master_port)->default_value(0),
      "port of the rendezvous store (0: a free port; required with --nnodes > 1)")(
      "stop-grace-s", po::value<double>(&o.stop_grace_s)->default_value(30),
      "after a rank fails, seconds the others get to exit on SIGTERM before SIGKILL");
}

std::vector<std::string> rank_args(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    bool ours = false;
    for (const char* f : kLaunchFlags) {
      const std::string flag = f;
      if (args[i] == flag) {
        ours = true;
        ++i;  // its value
      } else if (args[i].rfind(flag + "=", 0) == 0) {
        ours = true;
      }
      if (ours) break;
    }
    if (!ours) out.push_back(args[i]);
  }
  return out;
}

int launch_ranks(const LaunchOptions& o, const std::string& command, const std::vector<std::string>& args) {
  auto log = host_logger();
  if (o.nproc_per_node < 1) throw po::error("--nproc-per-node must be >= 1");
  if (o.nnodes < 1 || o.node_rank < 0 || o.node_rank >= o.nnodes)
    throw po::error("--node-rank must be in [0, --nnodes)");
  if (o.nnodes > 1 && o.master_port == 0)
    throw po::error("--nnodes > 1 needs --master-addr (node 0's address) and --master-port on every node");
  if (o.stop_grace_s < 0) throw po::error("--stop-grace-s must be >= 0");
  const int port = o.master_port ? o.master_port : free_port();
  const int world = o.nnodes * o.nproc_per_node;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  std::vector<std::string> argv_s{self};
  argv_s.push_back(command.substr(0, command.find(' ')));
  if (command.find(' ') != std::string::npos) argv_s.push_back(command.substr(command.find(' ') + 1));
  for (const std::string& a : rank_args(args)) argv_s.push_back(a);
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);

  // As torchrun: ranks sharing a machine share its cores (unless the user chose).
  const bool set_threads = std::getenv("OMP_NUM_THREADS") == nullptr;
  const std::string threads =
      std::to_string(std::max(1u, std::thread::hardware_concurrency() / static_cast<unsigned>(o.nproc_per_node)));
  if (set_threads) log->info("launcher: OMP_NUM_THREADS={} per rank (set it to choose)", threads);

  struct sigaction sa {}, old_term {}, old_int {};
  sa.sa_handler = on_launcher_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, &old_term);
  sigaction(SIGINT, &sa, &old_int);
  log->info("launching {} rank{} on this node (node {} of {}, world size {}), rendezvous {}:{}", o.nproc_per_node,
            o.nproc_per_node == 1 ? "" : "s", o.node_rank, o.nnodes, world, o.master_addr, port);
  std::vector<pid_t> pids;
  for (int l = 0; l < o.nproc_per_node; ++l) {
    const int rank = o.node_rank * o.nproc_per_node + l;
    const pid_t pid = fork();
    if (pid < 0) throw Error("cannot start rank " + std::to_string(rank) + ": fork failed");
    if (pid == 0) {
      // The child execs at once: it runs no torch code of this process (fork after OpenMP hangs).
      signal(SIGTERM, SIG_DFL);
      signal(SIGINT, SIG_DFL);
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // a launcher killed with SIGKILL leaves no rank behind
      setenv("RANK", std::to_string(rank).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(l).c_str(), 1);
      setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
      setenv("LOCAL_WORLD_SIZE", std::to_string(o.nproc_per_node).c_str(), 1);
      setenv("GROUP_RANK", std::to_string(o.node_rank).c_str(), 1);
      setenv("MASTER_ADDR", o.master_addr.c_str(), 1);
      setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      if (set_threads) setenv("OMP_NUM_THREADS", threads.c_str(), 1);
      execv(self.c_str(), argv.data());
      _exit(127);
    }
    pids.push_back(pid);
  }

  using clock = std::chrono::steady_clock;
  std::optional<clock::time_point> kill_at;
  int result = 0, left = static_cast<int>(pids.size());
  bool forwarded = false, failed = false;
  auto signal_rest = [&](int sig) {
    for (pid_t p : pids)
      if (p > 0) kill(p, sig);
  };
  while (left > 0) {
    if (g_stop && !forwarded) {
      forwarded = true;
      log->warn("launcher: got {}; passing SIGTERM to every rank (each saves one checkpoint, then exits)",
                g_stop == SIGINT ? "SIGINT" : "SIGTERM");
      signal_rest(SIGTERM);
    }
    int status = 0;
    const pid_t done = waitpid(-1, &status, WNOHANG);
    if (done > 0) {
      std::size_t r = 0;
      while (r < pids.size() && pids[r] != done) ++r;
      if (r == pids.size()) continue;
      pids[r] = 0;
      --left;
      const int code = code_of(status);
      const int rank = o.node_rank * o.nproc_per_node + static_cast<int>(r);
      // 128 + SIGTERM/SIGINT: an orderly stop, which every rank makes together.
      const bool stopped = code == 128 + SIGTERM || code == 128 + SIGINT;
      if (code != 0 && result == 0) result = code;
      if (code != 0 && !stopped && !failed) {
        failed = true;
        log->error("launcher: rank {} {}; stopping the other ranks (SIGTERM, SIGKILL after {} s)", rank,
                   describe(status), o.stop_grace_s);
        signal_rest(SIGTERM);
        kill_at = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(o.stop_grace_s));
      } else if (code != 0) {
        log->debug("launcher: rank {} {}", rank, describe(status));
      }
      continue;
    }
    if (kill_at && clock::now() >= *kill_at) {
      log->error("launcher: {} rank{} still running {} s after SIGTERM; killing", left, left == 1 ? "" : "s",
                 o.stop_grace_s);
      signal_rest(SIGKILL);
      kill_at.reset();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  sigaction(SIGTERM, &old_term, nullptr);
  sigaction(SIGINT, &old_int, nullptr);
  if (result == 0 && g_stop) result = 128 + g_stop;
  return result;
}

}  // namespace socrates::cli
