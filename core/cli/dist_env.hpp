// Which rank this process is: torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE,
// LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), or, under srun without them, SLURM's
// (SLURM_PROCID, SLURM_LOCALID, SLURM_NTASKS, the first host of SLURM_NODELIST). The result
// is exported under the torchrun names, so the plugins and the trainer read one convention.
#pragma once

#include <string>

namespace socrates::cli {

struct DistEnv {
  int rank = 0;
  int local_rank = 0;
  int world_size = 1;
  int local_world_size = 1;
  std::string master_addr;  // empty when world_size == 1 and nobody set it
  int master_port = 0;
  std::string source = "single";  // "torchrun" (or our launcher), "slurm", "single"
};

/// Reads the environment (see above), checks it and exports RANK, LOCAL_RANK, WORLD_SIZE,
/// LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT. Throws socrates::Error naming the variable
/// and what to do.
DistEnv resolve_dist_env();

/// The first host of a SLURM node list: "gpu[03-05,09],cpu1" -> "gpu03".
std::string first_slurm_host(const std::string& nodelist);

/// SLURM's default port for a job: 10000 + job id mod 20000 (all tasks agree on it).
int slurm_port(const std::string& job_id);

}  // namespace socrates::cli
