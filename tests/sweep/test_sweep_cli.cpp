// `socrates sweep --dry-run` and the ready-made ablations: every variant resolves and
// validates, nothing is created.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin/plugin_registry.hpp"
#include "run_cli.hpp"
#include "sweep/sweep_prepare.hpp"
#include "sweep_test_util.hpp"

using namespace socrates;
using testing::HasSubstr;
namespace fs = std::filesystem;

namespace {

TEST(SweepCli, DryRunOfAnExperimentWithGridAndSeeds) {
  const fs::path dir = test::scratch_dir("sweep-cli");
  const fs::path base = test::write_tiny_base(dir);
  const auto r = test::run_socrates("sweep " + test::shell_quote(base.string()) +
                                        " --grid 'adapter.r=[4,8]' --set training.max_steps=3 --seeds 2 --dry-run",
                                    dir);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("sweep 'tiny': 4 runs of"));
  EXPECT_THAT(r.out, HasSubstr("every variant: training.max_steps=3"));
  EXPECT_THAT(r.out, testing::ContainsRegex("r4-seed42 +3  adapter.r=4, run.seed=42"));
  EXPECT_THAT(r.out, testing::ContainsRegex("r8-seed43 +3  adapter.r=8, run.seed=43"));
  EXPECT_THAT(r.out, HasSubstr("total estimated steps: 12"));
  EXPECT_FALSE(fs::exists(dir / "runs"));
  fs::remove_all(dir);
}

TEST(SweepCli, BaseFromTheCommandLine) {
  const fs::path dir = test::scratch_dir("sweep-cli");
  test::write_tiny_base(dir);
  test::write_text(dir / "nobase.toml", "[sweep]\n[sweep.grid]\n\"adapter.r\" = [4, 8]\n");
  const auto missing = test::run_socrates("sweep " + test::shell_quote((dir / "nobase.toml").string()) + " --dry-run", dir);
  EXPECT_EQ(missing.status, 1);
  EXPECT_THAT(missing.err, HasSubstr((dir / "nobase.toml").string() + ": [sweep] needs 'base'"));
  const auto given = test::run_socrates("sweep " + test::shell_quote((dir / "nobase.toml").string()) + " --base " +
                                            test::shell_quote((dir / "tiny.toml").string()) + " --dry-run",
                                        dir);
  ASSERT_EQ(given.status, 0) << given.err;
  EXPECT_THAT(given.out, HasSubstr("sweep 'nobase': 2 runs of " + (dir / "tiny.toml").string()));
  fs::remove_all(dir);
}

TEST(SweepCli, ResumeTakesNoOtherSweepOptions) {
  const fs::path dir = test::scratch_dir("sweep-cli");
  const auto r = test::run_socrates("sweep --resume " + test::shell_quote(dir.string()) + " --seeds 2", dir);
  EXPECT_EQ(r.status, 2);
  EXPECT_THAT(r.err, HasSubstr("only --devices, --no-compare and --x go with it"));
  const auto n = test::run_socrates("sweep --resume " + test::shell_quote(dir.string()), dir);
  EXPECT_EQ(n.status, 1);
  EXPECT_THAT(n.err, HasSubstr("is not a sweep directory: it has no sweep.json"));
  const auto d = test::run_socrates("sweep x.toml --devices gpu0", dir);
  EXPECT_EQ(d.status, 2);
  EXPECT_THAT(d.err, HasSubstr("--devices: 'gpu0' is not a device"));
  fs::remove_all(dir);
}

// The files in experiments/ablations stay valid as the plugins and configs change.
TEST(SweepCli, ReadyMadeAblationsValidate) {
  PluginRegistry registry;
  registry.scan_defaults();
  int files = 0;
  for (const auto& e : fs::directory_iterator(fs::path(SOCRATES_SOURCE_DIR) / "experiments/ablations")) {
    if (e.path().extension() != ".toml" || !sweep::has_sweep_section(e.path())) continue;
    ++files;
    const sweep::SweepSpec spec = sweep::read_sweep_file(e.path());
    const auto variants = sweep::prepare_variants(spec, "/nonexistent/sweep", registry);
    EXPECT_GE(variants.size(), 2u) << e.path();
  }
  EXPECT_EQ(files, 4);
}

}  // namespace
