#include "cli/dist_env.hpp"

#include <cstdlib>

#include "socrates/error.hpp"

namespace socrates::cli {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

int env_int(const char* name, int fallback, int min) {
  const std::string v = env(name);
  if (v.empty()) return fallback;
  std::size_t used = 0;
  int x = 0;
  try {
    x = std::stoi(v, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  // SLURM writes counts like "2(x3)": the leading number is the one we need.
  if (used == 0 || (used != v.size() && v[used] != '(') || x < min)
    throw Error("environment variable " + std::string(name) + "='" + v + "' is not an integer >= " +
                std::to_string(min) + "; check how the ranks were launched (docs/distributed.md)");
  return x;
}

void put(const char* name, const std::string& value) { setenv(name, value.c_str(), 1); }

}  // namespace

std::string first_slurm_host(const std::string& nodelist) {
  const std::size_t comma = nodelist.find(',');
  const std::size_t bracket = nodelist.find('[');
  if (bracket == std::string::npos || (comma != std::string::npos && comma < bracket))
    return nodelist.substr(0, comma);
  const std::size_t close = nodelist.find(']', bracket);
  if (close == std::string::npos) throw Error("SLURM_NODELIST='" + nodelist + "' has an unclosed '['");
  const std::string inside = nodelist.substr(bracket + 1, close - bracket - 1);
  const std::string first = inside.substr(0, inside.find_first_of("-,"));
  std::string suffix = nodelist.substr(close + 1);
  suffix = suffix.substr(0, suffix.find(','));
  return nodelist.substr(0, bracket) + first + suffix;
}

int slurm_port(const std::string& job_id) {
  long id = 0;
  try {
    id = std::stol(job_id);
  } catch (const std::exception&) {
    id = 0;
  }
  return 10000 + static_cast<int>(id % 20000);
}

DistEnv resolve_dist_env() {
  DistEnv d;
  if (!env("RANK").empty() || !env("WORLD_SIZE").empty()) {
    d.source = "torchrun";
    d.rank = env_int("RANK", 0, 0);
    d.world_size = env_int("WORLD_SIZE", 1, 1);
    d.local_rank = env_int("LOCAL_RANK", d.rank, 0);
    d.local_world_size = env_int("LOCAL_WORLD_SIZE", d.world_size, 1);
    d.master_addr = env("MASTER_ADDR");
    d.master_port = env_int("MASTER_PORT", 0, 0);
  } else if (!env("SLURM_PROCID").empty() && env_int("SLURM_NTASKS", 1, 1) > 1) {
    d.source = "slurm";
    d.rank = env_int("SLURM_PROCID", 0, 0);
    d.world_size = env_int("SLURM_NTASKS", 1, 1);
    d.local_rank = env_int("SLURM_LOCALID", 0, 0);
    d.local_world_size = env_int("SLURM_NTASKS_PER_NODE", env_int("SLURM_TASKS_PER_NODE", 1, 1), 1);
    d.master_addr = env("MASTER_ADDR");
    if (d.master_addr.empty()) {
      const std::string nodes = !env("SLURM_JOB_NODELIST").empty() ? env("SLURM_JOB_NODELIST") : env("SLURM_NODELIST");
      if (nodes.empty()) throw Error("under srun with SLURM_NTASKS > 1 but neither MASTER_ADDR nor SLURM_NODELIST is set");
      d.master_addr = first_slurm_host(nodes);
    }
    d.master_port = env_int("MASTER_PORT", slurm_port(env("SLURM_JOB_ID")), 0);
  } else {
    return d;  // one process
  }
  if (d.rank >= d.world_size)
    throw Error("RANK=" + std::to_string(d.rank) + " is not below WORLD_SIZE=" + std::to_string(d.world_size) +
                " (from " + d.source + "'s environment)");
  if (d.local_rank >= d.local_world_size)
    throw Error("LOCAL_RANK=" + std::to_string(d.local_rank) + " is not below LOCAL_WORLD_SIZE=" +
                std::to_string(d.local_world_size));
  if (d.world_size > 1 && (d.master_addr.empty() || d.master_port <= 0))
    throw Error("WORLD_SIZE=" + std::to_string(d.world_size) + " but MASTER_ADDR/MASTER_PORT are not set: launch "
                "with `socrates run EXP --nproc-per-node N`, torchrun or srun (docs/distributed.md)");
  put("RANK", std::to_string(d.rank));
  put("LOCAL_RANK", std::to_string(d.local_rank));
  put("WORLD_SIZE", std::to_string(d.world_size));
  put("LOCAL_WORLD_SIZE", std::to_string(d.local_world_size));
  if (!d.master_addr.empty()) put("MASTER_ADDR", d.master_addr);
  if (d.master_port > 0) put("MASTER_PORT", std::to_string(d.master_port));
  return d;
}

}  // namespace socrates::cli
