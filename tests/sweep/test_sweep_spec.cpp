// The sweep file: grid x zip x explicit variants, their order and derived names.
#include <gtest/gtest.h>

#include "socrates/error.hpp"
#include "sweep/sweep_spec.hpp"
#include "sweep/variant_name.hpp"
#include "sweep/variant_plan.hpp"
#include "sweep_test_util.hpp"

using namespace socrates;
using namespace socrates::sweep;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> names(const std::vector<VariantPlan>& vs) {
  std::vector<std::string> out;
  for (const auto& v : vs) out.push_back(v.name);
  return out;
}

class SweepSpecTest : public testing::Test {
 protected:
  void SetUp() override { dir_ = test::scratch_dir("sweep-spec"); }
  void TearDown() override { fs::remove_all(dir_); }
  SweepSpec read(const std::string& text) {
    test::write_text(dir_ / "s.toml", text);
    return read_sweep_file(dir_ / "s.toml");
  }
  fs::path dir_;
};

TEST_F(SweepSpecTest, GridIsTheCartesianProductInFileOrder) {
  const SweepSpec s = read(
      "[sweep]\nbase = \"exp.toml\"\n[sweep.grid]\n\"dataset.fraction\" = [0.1, 1.0]\n\"adapter.r\" = [16, 32]\n");
  EXPECT_EQ(s.name, "s");
  EXPECT_EQ(s.base, (fs::absolute(dir_) / "exp.toml").lexically_normal());
  const auto v = expand_variants(s);
  // The first axis in the file varies slowest, although TOML tables come back sorted by key.
  EXPECT_EQ(names(v), (std::vector<std::string>{"frac0.1-r16", "frac0.1-r32", "frac1-r16", "frac1-r32"}));
  ASSERT_EQ(v[1].overrides.size(), 2u);
  EXPECT_EQ(v[1].overrides[0].text(), "dataset.fraction=0.1");
  EXPECT_EQ(v[1].overrides[1].text(), "adapter.r=32");
  EXPECT_EQ(v[1].overrides[1].origin, (dir_ / "s.toml").string() + ":5:1");
}

TEST_F(SweepSpecTest, ZipVariesTogetherAndMultipliesTheGrid) {
  const SweepSpec s = read(
      "[sweep]\nbase = \"exp.toml\"\n[sweep.grid]\n\"dataset.split\" = [\"participant\", \"task\"]\n"
      "[sweep.zip]\nadapter.r = [16, 32]\nadapter.alpha = [32, 64]\n");
  EXPECT_EQ(names(expand_variants(s)),
            (std::vector<std::string>{"split-participant-r16-alpha32", "split-participant-r32-alpha64",
                                      "split-task-r16-alpha32", "split-task-r32-alpha64"}));
}

TEST_F(SweepSpecTest, ExplicitVariantsComeAfterTheGridWithTheirNames) {
  const SweepSpec s = read(
      "[sweep]\nbase = \"exp.toml\"\nseeds = 3\n[sweep.set]\n\"training.max_steps\" = 20\n"
      "[[sweep.variants]]\nname = \"chat\"\n\"prompt.plugin\" = \"socsci-chat\"\n"
      "[[sweep.variants]]\n\"prompt.plugin\" = \"alpaca\"\n\"adapter.target_modules\" = [\"q_proj\", \"v_proj\"]\n");
  EXPECT_EQ(s.seeds, 3);
  ASSERT_EQ(s.common.size(), 1u);
  EXPECT_EQ(s.common[0].text(), "training.max_steps=20");
  EXPECT_EQ(names(expand_variants(s)), (std::vector<std::string>{"chat", "prompt-alpaca-targets-q_proj+v_proj"}));
}

TEST(VariantName, LabelsAreShortUnlessTheyCollide) {
  EXPECT_EQ(key_label("adapter.r", {"adapter.r"}), "r");
  EXPECT_EQ(key_label("dataset.fraction", {"dataset.fraction"}), "frac");
  EXPECT_EQ(key_label("prompt.plugin", {"prompt.plugin"}), "prompt");
  EXPECT_EQ(key_label("adapter.dropout", {"adapter.dropout", "model.dropout"}), "adapter_drop");
  EXPECT_EQ(value_label(Value(1e-5)), "1e-05");
  EXPECT_EQ(value_label(Value(1.0)), "1");
  EXPECT_EQ(value_label(Value("a/b c")), "a_b_c");
  const std::vector<Override> o = {{"adapter.r", Value(16), "", {}}, {"dataset.fraction", Value(0.1), "", {}}};
  EXPECT_EQ(derive_name(o, {"adapter.r", "dataset.fraction"}), "r16-frac0.1");
  EXPECT_EQ(derive_name({}, {}), "base");
}

TEST_F(SweepSpecTest, RepeatedDerivedNamesGetASuffix) {
  const SweepSpec s = read("[sweep]\nbase = \"exp.toml\"\n[sweep.grid]\n\"adapter.r\" = [16, 16]\n");
  EXPECT_EQ(names(expand_variants(s)), (std::vector<std::string>{"r16", "r16-2"}));
}

TEST(SweepArguments, GridAndSetArguments) {
  const Axis a = parse_axis_argument("--grid", "adapter.r=[16,32]");
  EXPECT_EQ(a.key, "adapter.r");
  ASSERT_EQ(a.values.size(), 2u);
  EXPECT_EQ(a.values[1], Value(32));
  const Override o = parse_set_argument("prompt.plugin=alpaca");
  EXPECT_EQ(o.value, Value("alpaca"));
  EXPECT_THROW(parse_axis_argument("--grid", "adapter.r=16"), ConfigError);
}

}  // namespace
