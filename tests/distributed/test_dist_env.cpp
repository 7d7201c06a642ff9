// The rank's environment: torchrun's variables, SLURM's fallback, and the errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include "cli/dist_env.hpp"
#include "cli/launcher.hpp"
#include "socrates/error.hpp"

using namespace socrates;
using namespace socrates::cli;

namespace {
const char* const kVars[] = {"RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT",
                             "SLURM_PROCID", "SLURM_LOCALID", "SLURM_NTASKS", "SLURM_NTASKS_PER_NODE",
                             "SLURM_TASKS_PER_NODE", "SLURM_JOB_NODELIST", "SLURM_NODELIST", "SLURM_JOB_ID"};
struct CleanEnv {
  CleanEnv() { for (const char* v : kVars) unsetenv(v); }
  ~CleanEnv() { for (const char* v : kVars) unsetenv(v); }
};
}  // namespace

TEST(DistEnv, FirstSlurmHost) {
  EXPECT_EQ(first_slurm_host("gpu[03-05,09],cpu1"), "gpu03");
  EXPECT_EQ(first_slurm_host("node7,node8"), "node7");
  EXPECT_EQ(first_slurm_host("a[1,2]-ib"), "a1-ib");
  EXPECT_EQ(first_slurm_host("single"), "single");
  EXPECT_THROW(first_slurm_host("bad[1-2"), Error);
}

TEST(DistEnv, OneProcessWithoutLauncher) {
  CleanEnv clean;
  const DistEnv d = resolve_dist_env();
  EXPECT_EQ(d.world_size, 1);
  EXPECT_EQ(d.source, "single");
}

TEST(DistEnv, TorchrunVariables) {
  CleanEnv clean;
  setenv("RANK", "3", 1), setenv("LOCAL_RANK", "1", 1), setenv("WORLD_SIZE", "4", 1);
  setenv("LOCAL_WORLD_SIZE", "2", 1), setenv("MASTER_ADDR", "10.0.0.1", 1), setenv("MASTER_PORT", "29500", 1);
  const DistEnv d = resolve_dist_env();
  EXPECT_EQ(d.rank, 3);
  EXPECT_EQ(d.local_rank, 1);
  EXPECT_EQ(d.world_size, 4);
  EXPECT_EQ(d.master_addr, "10.0.0.1");
  EXPECT_EQ(d.master_port, 29500);
  unsetenv("MASTER_PORT");
  EXPECT_THAT([] { resolve_dist_env(); }, testing::ThrowsMessage<Error>(testing::HasSubstr("MASTER_PORT")));
  setenv("MASTER_PORT", "29500", 1), setenv("RANK", "4", 1);
  EXPECT_THAT([] { resolve_dist_env(); }, testing::ThrowsMessage<Error>(testing::HasSubstr("RANK=4")));
  setenv("RANK", "x", 1);
  EXPECT_THAT([] { resolve_dist_env(); }, testing::ThrowsMessage<Error>(testing::HasSubstr("RANK='x'")));
}

TEST(DistEnv, SlurmFallbackIsExportedUnderTorchrunNames) {
  CleanEnv clean;
  setenv("SLURM_PROCID", "5", 1), setenv("SLURM_LOCALID", "1", 1), setenv("SLURM_NTASKS", "8", 1);
  setenv("SLURM_NTASKS_PER_NODE", "4(x2)", 1), setenv("SLURM_JOB_NODELIST", "gpu[12-13]", 1);
  setenv("SLURM_JOB_ID", "123456", 1);
  const DistEnv d = resolve_dist_env();
  EXPECT_EQ(d.source, "slurm");
  EXPECT_EQ(d.rank, 5);
  EXPECT_EQ(d.local_rank, 1);
  EXPECT_EQ(d.world_size, 8);
  EXPECT_EQ(d.local_world_size, 4);
  EXPECT_EQ(d.master_addr, "gpu12");
  EXPECT_EQ(d.master_port, 10000 + 123456 % 20000);
  EXPECT_STREQ(std::getenv("RANK"), "5");
  EXPECT_STREQ(std::getenv("MASTER_ADDR"), "gpu12");
}

TEST(Launcher, RanksGetTheCommandLineWithoutTheLauncherOptions) {
  EXPECT_EQ(rank_args({"exp.toml", "--nproc-per-node", "2", "--set", "a.b=1", "--master-port=7", "--nnodes", "1",
                       "--resume", "auto"}),
            (std::vector<std::string>{"exp.toml", "--set", "a.b=1", "--resume", "auto"}));
}
