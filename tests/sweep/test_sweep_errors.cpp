// Bad sweep files stop the whole sweep before anything runs, with the file:line that is
// wrong and what to do.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin/plugin_registry.hpp"
#include "run_cli.hpp"
#include "sweep/sweep_prepare.hpp"
#include "sweep_test_util.hpp"

using namespace socrates;
using namespace socrates::sweep;
using testing::HasSubstr;
using testing::StartsWith;
namespace fs = std::filesystem;

namespace {

class SweepErrors : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::scratch_dir("sweep-errors");
    base_ = test::write_tiny_base(dir_);
    registry_.scan_defaults();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The message of the ConfigError that preparing `text` (a sweep file) throws.
  std::string error_of(const std::string& text) {
    test::write_text(file(), "[sweep]\nbase = \"tiny.toml\"\n" + text);
    try {
      const SweepSpec spec = read_sweep_file(file());
      prepare_variants(spec, dir_ / "runs" / "x", registry_);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "no error";
  }
  fs::path file() const { return dir_ / "bad.toml"; }
  std::string at(int line, int col) const { return file().string() + ":" + std::to_string(line) + ":" + std::to_string(col); }

  fs::path dir_, base_;
  PluginRegistry registry_;
};

TEST_F(SweepErrors, UnknownConfigKeyPointsAtTheSweepFileLine) {
  const std::string e = error_of("[sweep.grid]\n\"adapter.alhpa\" = [16, 32]\n");
  EXPECT_THAT(e, StartsWith(at(4, 1) + ": unknown key 'alhpa' in [adapter] (plugin 'lora'). Did you mean 'alpha'?"));
  EXPECT_THAT(e, HasSubstr("in sweep variant 'alhpa16'"));
}

TEST_F(SweepErrors, WrongTypeInOneValueStopsEverything) {
  const std::string e = error_of("[sweep.grid]\n\"adapter.r\" = [16, \"32\"]\n");
  EXPECT_THAT(e, StartsWith(at(4, 1) + ": 'adapter.r' must be int, got string \"32\""));
  EXPECT_THAT(e, HasSubstr("in sweep variant 'r-32'"));
  EXPECT_FALSE(fs::exists(dir_ / "runs")) << "nothing may be created";
}

TEST_F(SweepErrors, ValueOutsideItsChoicesInAnExplicitVariant) {
  const std::string e = error_of("[[sweep.variants]]\nname = \"odd\"\n\"dataset.split\" = \"studies\"\n");
  EXPECT_THAT(e, StartsWith(at(5, 1) + ": 'dataset.split' must be one of participant|condition|task"));
  EXPECT_THAT(e, HasSubstr("in sweep variant 'odd'"));
}

TEST_F(SweepErrors, MistypedSweepKeyIsNamedWithASuggestion) {
  const std::string e = error_of("[sweep.gird]\n\"adapter.r\" = [16]\n");
  EXPECT_THAT(e, HasSubstr(":3:8: unknown key 'gird' in [sweep]. Did you mean 'grid'?"));
}

TEST_F(SweepErrors, AxisMustBeAnArray) {
  EXPECT_THAT(error_of("[sweep.grid]\n\"adapter.r\" = 16\n"),
              StartsWith(at(4, 1) + ": [sweep.grid] 'adapter.r' must be an array of the values to try"));
}

TEST_F(SweepErrors, ZippedAxesNeedEqualLengths) {
  EXPECT_THAT(error_of("[sweep.zip]\n\"adapter.r\" = [16, 32]\n\"adapter.alpha\" = [32]\n"),
              StartsWith(at(5, 1) + ": zipped axes vary together, so they need the same number of values"));
}

TEST_F(SweepErrors, KeySweptAndFixedIsAmbiguous) {
  EXPECT_THAT(error_of("[sweep.set]\n\"adapter.r\" = 8\n[sweep.grid]\n\"adapter.r\" = [16, 32]\n"),
              StartsWith(at(4, 1) + ": 'adapter.r' is set for every variant here but also swept at " + at(6, 1)));
}

TEST_F(SweepErrors, SweepWithoutVariants) {
  EXPECT_THAT(error_of(""), HasSubstr("the sweep has no variants"));
}

TEST_F(SweepErrors, MalformedTomlAndNotADirectoryName) {
  EXPECT_THAT(error_of("[sweep.grid\n"), StartsWith(at(3, 12) + ": malformed TOML"));
  EXPECT_THAT(error_of("[[sweep.variants]]\nname = \"a/b\"\n\"adapter.r\" = 4\n"),
              StartsWith(at(4, 8) + ": variant name 'a/b' cannot name a directory"));
}

TEST_F(SweepErrors, TheCommandExitsWithStatusOneAndCreatesNothing) {
  test::write_text(file(), "[sweep]\nbase = \"tiny.toml\"\n[sweep.grid]\n\"optimizer.lr\" = [1e-3]\n");
  const auto r = test::run_socrates(test::shell_quote("sweep") + " " + test::shell_quote(file().string()), dir_);
  EXPECT_EQ(r.status, 1);
  EXPECT_THAT(r.err, HasSubstr(at(4, 1) + ": unknown key 'lr' in [optimizer]"));
  EXPECT_FALSE(fs::exists(dir_ / "runs")) << "a sweep that does not validate leaves no directory";
}

}  // namespace
