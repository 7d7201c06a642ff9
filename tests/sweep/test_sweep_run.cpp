// A real sweep of the socrates executable: 4 tiny variants, two at a time on the CPU, plus
// one that fails at run time. Every run directory is an ordinary, valid one; sweep.json
// records them; `compare` reports exactly what each run's report.json and metrics.jsonl say.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "config/experiment.hpp"
#include "eval/plot.hpp"
#include "plugin/plugin_registry.hpp"
#include "run_cli.hpp"
#include "sweep_test_util.hpp"

using namespace socrates;
using testing::HasSubstr;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void expect_same(const json& compared, const json& reported, const std::string& what) {
  if (reported.is_null()) {
    EXPECT_TRUE(compared.is_null()) << what;
  } else {
    ASSERT_TRUE(compared.is_number()) << what << ": " << compared.dump();
    EXPECT_DOUBLE_EQ(compared.get<double>(), reported.get<double>()) << what;
  }
}

// The last "train" loss of metrics.jsonl.
double last_train_loss(const fs::path& run) {
  std::ifstream in(run / "metrics.jsonl");
  std::string line;
  double loss = NAN;
  while (std::getline(in, line)) {
    const json j = json::parse(line);
    if (j["kind"] == "train") loss = j["loss"].get<double>();
  }
  return loss;
}

bool is_png(const fs::path& p) { return test::read_text(p).rfind("\x89PNG", 0) == 0; }

TEST(SweepRun, FourVariantsTwoAtATimeThenCompare) {
  const fs::path dir = test::scratch_dir("sweep-run");
  test::write_tiny_base(dir);
  test::write_text(dir / "abl.toml",
                   "[sweep]\nname = \"abl\"\nbase = \"tiny.toml\"\n"
                   "[sweep.grid]\n\"adapter.r\" = [4, 8]\n\"dataset.fraction\" = [0.5, 1.0]\n"
                   "[[sweep.variants]]\nname = \"broken\"\n\"dataset.path\" = \"no-such-data\"\n");
  const auto r = test::run_socrates("sweep " + test::shell_quote((dir / "abl.toml").string()) +
                                        " --devices cpu,cpu --log-level warn",
                                    dir);
  // The broken variant fails at run time (the dataset folder is only read then); the rest go on.
  EXPECT_EQ(r.status, 1) << r.err;
  std::vector<fs::path> sweeps;
  for (const auto& e : fs::directory_iterator(dir / "runs")) sweeps.push_back(e.path());
  ASSERT_EQ(sweeps.size(), 1u);
  const fs::path sweep = sweeps.front();
  EXPECT_THAT(sweep.filename().string(), testing::StartsWith("abl-"));

  const json state = test::read_json(sweep / "sweep.json");
  ASSERT_EQ(state["variants"].size(), 5u);
  std::vector<std::string> names;
  for (const json& v : state["variants"]) names.push_back(v["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"r4-frac0.5", "r4-frac1", "r8-frac0.5", "r8-frac1", "broken"}));
  const json& broken = state["variants"][4];
  EXPECT_EQ(broken["status"], "failed");
  EXPECT_EQ(broken["exit_code"], 1);
  EXPECT_THAT(broken["error"].get<std::string>(), HasSubstr("no-such-data"));

  PluginRegistry registry;
  registry.scan_defaults();
  for (std::size_t i = 0; i < 4; ++i) {
    const json& v = state["variants"][i];
    EXPECT_EQ(v["status"], "finished") << v.dump();
    EXPECT_EQ(v["attempts"], 1);
    const fs::path run = sweep / v["run_dir"].get<std::string>();
    // An ordinary run directory: the resolved experiment reruns by itself, with the overrides.
    const Experiment exp = Experiment::resolve(ExperimentFile::load(run / "config.resolved.toml"), registry);
    EXPECT_EQ(exp.settings().run.name, v["name"].get<std::string>());
    EXPECT_EQ(exp.settings().run.output_dir, sweep);
    const std::string toml = test::read_text(run / "config.resolved.toml");
    EXPECT_THAT(toml, HasSubstr("r = " + v["overrides"]["adapter.r"].dump()));
    for (const char* f : {"run.log", "metrics.jsonl", "adapter/adapter_config.json", "adapter/adapter_model.safetensors",
                          "eval/final-test-distribution/report.json", "console.log"}) {
      EXPECT_TRUE(fs::exists(run / f)) << run / f;
    }
  }

  // The comparison written at the end of the sweep: one row per variant, values as reported.
  const json cmp = test::read_json(sweep / "compare" / "compare.json");
  EXPECT_EQ(cmp["keys"], json({"adapter.r", "dataset.fraction", "dataset.path"}));
  ASSERT_EQ(cmp["rows"].size(), 5u);
  for (std::size_t i = 0; i < 4; ++i) {
    const json& row = cmp["rows"][i];
    ASSERT_EQ(row["runs"].size(), 1u);
    const json& run = row["runs"][0];
    EXPECT_EQ(run["name"], names[i]);
    const json report = test::read_json(fs::path(run["report"].get<std::string>()));
    expect_same(run["w1"], report["overall"][0]["w1"], names[i] + " w1");
    expect_same(run["accuracy"], report["overall"][0]["accuracy"], names[i] + " accuracy");
    expect_same(run["parity_gap"], report["overall"][0]["demographic_parity"], names[i] + " parity");
    expect_same(run["parse_failure_rate"], report["overall"][0]["parse_failure_rate"], names[i] + " parse failures");
    expect_same(run["w1_base"], report["comparison"]["w1_base"], names[i] + " base w1");
    expect_same(run["w1_uniform"], report["comparison"]["w1_uniform"], names[i] + " uniform");
    expect_same(run["w1_bootstrap"], report["comparison"]["w1_bootstrap"], names[i] + " bootstrap");
    EXPECT_DOUBLE_EQ(run["train_loss"].get<double>(), last_train_loss(fs::path(run["dir"].get<std::string>())));
    EXPECT_TRUE(run["w1"].is_number()) << "a finished tiny run has a W1";
    EXPECT_DOUBLE_EQ(row["metrics"]["w1"]["mean"].get<double>(), run["w1"].get<double>());
    EXPECT_DOUBLE_EQ(run["wall_seconds"].get<double>(), state["variants"][i]["seconds"].get<double>());
  }
  EXPECT_EQ(cmp["rows"][4]["status"], "failed");
  EXPECT_TRUE(cmp["rows"][4]["runs"][0]["w1"].is_null());
  const std::string md = test::read_text(sweep / "compare" / "compare.md");
  EXPECT_THAT(md, HasSubstr("| r8-frac0.5 | 8 | 0.5 |"));
  EXPECT_THAT(r.out, HasSubstr("| r8-frac0.5 | 8 | 0.5 |")) << "the sweep prints the table";
  const std::string csv = test::read_text(sweep / "compare" / "compare.csv");
  EXPECT_THAT(csv, testing::StartsWith("variant,adapter.r,dataset.fraction,dataset.path,runs,status,w1,w1_std,"));
  EXPECT_THAT(test::read_text(sweep / "compare" / "report.md"), HasSubstr("(../r4-frac1/eval/final-test-distribution/report.md)"));
  if (plots_available()) {
    for (const char* p : {"w1_per_variant", "loss_curves", "w1_vs_adapter_r"}) {
      EXPECT_TRUE(is_png(sweep / "compare" / "plots" / (std::string(p) + ".png"))) << p;
      EXPECT_THAT(test::read_text(sweep / "compare" / "plots" / (std::string(p) + ".svg")), HasSubstr("<svg"));
    }
  }

  // `compare` on two run directories (no sweep): the differing keys come from the configs.
  const auto c = test::run_socrates("compare " + test::shell_quote((sweep / "r4-frac1").string()) + " " +
                                        test::shell_quote((sweep / "r8-frac1").string()) + " --out " +
                                        test::shell_quote((dir / "cmp").string()),
                                    dir);
  ASSERT_EQ(c.status, 0) << c.err;
  const json two = test::read_json(dir / "cmp" / "compare.json");
  EXPECT_EQ(two["keys"], json({"adapter.r"}));
  EXPECT_THAT(c.out, HasSubstr("| r8-frac1 | 8 |"));
  // Without --out, several directories have nowhere to go.
  const auto no_out = test::run_socrates("compare " + test::shell_quote((sweep / "r4-frac1").string()) + " " +
                                             test::shell_quote((sweep / "r8-frac1").string()),
                                         dir);
  EXPECT_EQ(no_out.status, 1);
  EXPECT_THAT(no_out.err, HasSubstr("give --out DIR"));
  fs::remove_all(dir);
}

}  // namespace
