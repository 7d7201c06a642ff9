// The ranks of one job agree on one run directory: rank 0 picks or creates it and publishes
// its path through a c10d::TCPStore at MASTER_ADDR:MASTER_PORT (rank 0 serves the store
// unless torchrun's agent already does); the others wait for it. The store stays up for the
// whole process, and the ddp/zero2 plugins share its server.
#pragma once

#include <filesystem>
#include <functional>

#include "cli/dist_env.hpp"

namespace socrates::cli {

/// Rank 0 runs `make` and shares its result; other ranks return rank 0's. A failure on rank 0
/// reaches the others as an error naming it. One process (world size 1): just `make()`.
std::filesystem::path agree_on_run_dir(const DistEnv& env, const std::function<std::filesystem::path()>& make);

}  // namespace socrates::cli
