// `socrates run|resume ... --nproc-per-node N`: starts N local ranks of this executable with
// the torchrun environment, like torchrun's static rendezvous, and keeps them in step: when
// one rank fails, the others are stopped (SIGTERM, then SIGKILL after --stop-grace-s), and
// a SIGTERM/SIGINT to the launcher is passed on so that every rank saves one checkpoint.
#pragma once

#include <string>
#include <vector>

#include "cli/cli.hpp"

namespace socrates::cli {

struct LaunchOptions {
  int nproc_per_node = 0;  // 0: no launcher, this process is a rank
  int nnodes = 1;
  int node_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 0;  // 0: a free port (one node only)
  double stop_grace_s = 30;
};

/// Adds --nproc-per-node, --nnodes, --node-rank, --master-addr, --master-port and
/// --stop-grace-s to `opts`.
void add_launch_options(po::options_description& opts, LaunchOptions& out);

/// `args` without the launcher's own options: what every rank is started with.
std::vector<std::string> rank_args(const std::vector<std::string>& args);

/// Runs `command` (e.g. "run") with `args` in nproc_per_node child processes; returns the
/// exit status for the whole job: 0, the first failed rank's status (128 + signal when it
/// was killed), or 128 + SIGTERM/SIGINT after a stop.
int launch_ranks(const LaunchOptions& opts, const std::string& command, const std::vector<std::string>& args);

}  // namespace socrates::cli
