// Experiment config: includes, --set overrides, schema validation and its exact messages,
// path resolution and the resolved-config round trip.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "config/experiment.hpp"
#include "plugin/plugin_registry.hpp"
#include "log/logging.hpp"
#include "plugin/components.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;
using namespace socrates;
using testing::HasSubstr;

namespace {

class Config : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("socrates-config-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }
  Experiment resolve(const fs::path& f, const std::vector<std::string>& sets = {}) {
    PluginRegistry reg;
    reg.scan(SOCRATES_PROBE_DIR);
    return Experiment::resolve(ExperimentFile::load(f, sets), reg);
  }
  // The message of the ConfigError that resolving `f` throws ("" if none).
  std::string error(const fs::path& f, const std::vector<std::string>& sets = {}) {
    try {
      resolve(f, sets);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
  std::string at(const fs::path& f, int line, int col) {
    return f.string() + ":" + std::to_string(line) + ":" + std::to_string(col);
  }
  const Value& probe(const Experiment& e, const std::string& key) {
    return e.plugins_in("evaluators").at(0)->config.values().at(key);
  }

  fs::path dir_;
};

const char* kProbe = "[[evaluators]]\nplugin = \"probe\"\ndata = \"d.jsonl\"\n";

}  // namespace

TEST_F(Config, IncludesMergeAndLaterFilesWin) {
  write("a.toml", "[run]\nname = \"a\"\nseed = 1\ndevice = \"cpu\"\n");
  write("b.toml", "[run]\nseed = 2\n");
  fs::path exp = write("exp.toml", "include = [\"a.toml\", \"b.toml\"]\n[run]\nname = \"exp\"\n");
  Experiment e = resolve(exp);
  ConfigSection run = e.section("run");
  EXPECT_EQ(run.get<std::string>("name"), "exp");  // the including file wins
  EXPECT_EQ(run.get<std::int64_t>("seed"), 2);     // later include wins
  EXPECT_EQ(run.origin("seed"), at(dir_ / "b.toml", 2, 1));
  EXPECT_EQ(run.origin("name"), at(exp, 3, 1));
  EXPECT_EQ(run.origin("output_dir"), "default");
  EXPECT_EQ(e.source().files().size(), 3u);
}

TEST_F(Config, IncludePathsAreRelativeToTheIncludingFile) {
  write("shared/base.toml", "[run]\nseed = 9\n");
  write("sub/mid.toml", "include = \"../shared/base.toml\"\n");
  fs::path exp = write("exp.toml", "include = [\"sub/mid.toml\"]\n");
  EXPECT_EQ(resolve(exp).section("run").get<std::int64_t>("seed"), 9);
}

TEST_F(Config, MissingIncludeNamesFileAndLine) {
  fs::path exp = write("exp.toml", "include = [\"nope.toml\"]\n");
  EXPECT_EQ(error(exp), at(exp, 1, 12) + ": included file 'nope.toml' not found (looked for " +
                            (dir_ / "nope.toml").string() + ")");
}

TEST_F(Config, IncludeCycleIsAnError) {
  write("a.toml", "include = \"b.toml\"\n");
  write("b.toml", "include = \"a.toml\"\n");
  EXPECT_THAT(error(dir_ / "a.toml"), HasSubstr(": include cycle: "));
}

TEST_F(Config, MalformedTomlGivesFileLineAndColumn) {
  fs::path exp = write("exp.toml", "[run]\nname = \"x\"\nseed = = 3\n");
  EXPECT_THAT(error(exp), testing::StartsWith(at(exp, 3, 8) + ": malformed TOML: "));
}

TEST_F(Config, MissingFile) {
  EXPECT_EQ(error(dir_ / "none.toml"), (dir_ / "none.toml").string() + ": no such experiment file");
}

TEST_F(Config, UnknownSectionSuggestsTheClosest) {
  fs::path exp = write("exp.toml", "[adaptr]\nr = 1\n");
  EXPECT_EQ(error(exp), at(exp, 1, 2) +
                            ": unknown section [adaptr]. Did you mean 'adapter'? Known sections: run, plugins, "
                            "model, data, training, evaluation, checkpoint, dataset, prompt, adapter, objective, optimizer, "
                            "parallelism, "
                            "evaluators.");
}

TEST_F(Config, UnknownKeyInHostSection) {
  fs::path exp = write("exp.toml", "[run]\nsede = 1\n");
  EXPECT_EQ(error(exp), at(exp, 2, 1) +
                            ": unknown key 'sede' in [run]. Did you mean 'seed'? Valid keys: name, output_dir, seed, "
                            "device.");
}

TEST_F(Config, UnknownKeyInPluginSection) {
  fs::path exp = write("exp.toml", std::string(kProbe) + "mdoe = \"sample\"\n");
  EXPECT_EQ(error(exp), at(exp, 4, 1) +
                            ": unknown key 'mdoe' in [evaluators[0]] (plugin 'probe'). Did you mean 'mode'? Valid "
                            "keys: data, mode, n, rate, flag, names, sizes, weights, extra.");
}

TEST_F(Config, WrongType) {
  fs::path exp = write("exp.toml", std::string(kProbe) + "n = \"3\"\n");
  EXPECT_EQ(error(exp), at(exp, 4, 1) + ": 'evaluators[0].n' must be int, got string \"3\" (an int).");
  exp = write("exp.toml", std::string(kProbe) + "sizes = [1, \"x\"]\n");
  EXPECT_EQ(error(exp), at(exp, 4, 1) + ": 'evaluators[0].sizes' must be int[], got array [1, \"x\"] (ints).");
}

TEST_F(Config, MissingRequiredKey) {
  fs::path exp = write("exp.toml", "[[evaluators]]\nplugin = \"probe\"\n");
  EXPECT_EQ(error(exp), at(exp, 1, 1) +
                            ": [evaluators[0]] (plugin 'probe') is missing required key 'data' (path: required path).");
}

TEST_F(Config, ValueOutsideChoices) {
  fs::path exp = write("exp.toml", std::string(kProbe) + "mode = \"sampel\"\n");
  EXPECT_EQ(error(exp), at(exp, 4, 1) +
                            ": 'evaluators[0].mode' must be one of sample|distribution, got \"sampel\". Did you mean "
                            "'sample'?");
}

TEST_F(Config, SlotWithoutPluginKey) {
  fs::path exp = write("exp.toml", "[[evaluators]]\ndata = \"x\"\n");
  EXPECT_THAT(error(exp), testing::StartsWith(at(exp, 1, 1) +
                                              ": [evaluators[0]] needs `plugin = \"<name>\"`. Known evaluator plugins: "));
  EXPECT_THAT(error(exp), HasSubstr("probe"));
}

TEST_F(Config, UnknownPluginListsKnownOnes) {
  fs::path exp = write("exp.toml", "[[evaluators]]\nplugin = \"prob\"\n");
  const std::string msg = error(exp);
  EXPECT_THAT(msg, testing::StartsWith(at(exp, 2, 1) + ": unknown evaluator plugin 'prob'."));
  EXPECT_THAT(msg, HasSubstr("probe"));
}

TEST_F(Config, SectionMustBeATable) {
  fs::path exp = write("exp.toml", "run = 3\n");
  EXPECT_EQ(error(exp), at(exp, 1, 1) + ": 'run' must be a table ([run]), got int 3");
  exp = write("exp.toml", "[evaluators]\nplugin = \"probe\"\n");
  EXPECT_EQ(error(exp), at(exp, 1, 2) +
                            ": 'evaluators' must be an array of tables ([[evaluators]]), got table { plugin = "
                            "\"probe\" }");
}

TEST_F(Config, BadDevice) {
  fs::path exp = write("exp.toml", "[run]\ndevice = \"gpu\"\n");
  EXPECT_EQ(error(exp), at(exp, 2, 1) + ": 'run.device' must be cpu, cuda or cuda:N, got \"gpu\".");
}

TEST_F(Config, DefaultsAreFilledAndCanonical) {
  fs::path exp = write("exp.toml", std::string(kProbe) + "rate = 2\n");
  Experiment e = resolve(exp);
  EXPECT_EQ(probe(e, "rate"), Value(2.0));  // an int in a float option becomes a float
  EXPECT_EQ(probe(e, "mode"), Value("sample"));
  EXPECT_EQ(probe(e, "weights"), Value(Array{1.0}));
  EXPECT_EQ(e.plugins_in("evaluators").at(0)->config.origin("mode"), "default");
}

TEST_F(Config, SetOverridesAreTyped) {
  fs::path exp = write("exp.toml", kProbe);
  Experiment e = resolve(exp, {"evaluators[0].n=5", "evaluators[0].rate=1", "evaluators[0].flag=true",
                               "evaluators[0].names=[\"x\", \"y\"]", "evaluators[0].weights=[1, 2.5]",
                               "evaluators[0].mode=distribution", "run.name=hello world", "run.seed=-3"});
  EXPECT_EQ(probe(e, "n"), Value(std::int64_t{5}));
  EXPECT_EQ(probe(e, "rate"), Value(1.0));
  EXPECT_EQ(probe(e, "flag"), Value(true));
  EXPECT_EQ(probe(e, "names"), Value(Array{"x", "y"}));
  EXPECT_EQ(probe(e, "weights"), Value(Array{1.0, 2.5}));
  EXPECT_EQ(probe(e, "mode"), Value("distribution"));  // a bare string
  EXPECT_EQ(e.section("run").get<std::string>("name"), "hello world");
  EXPECT_EQ(e.section("run").get<std::int64_t>("seed"), -3);
  EXPECT_EQ(e.plugins_in("evaluators").at(0)->config.origin("n"), "--set");
}

TEST_F(Config, SetCreatesSectionsAndKeys) {
  fs::path exp = write("exp.toml", "");
  Experiment e = resolve(exp, {"evaluators=[{plugin = \"probe\", data = \"x\"}]", "run.seed=5"});
  EXPECT_EQ(e.plugins_in("evaluators").size(), 1u);
  EXPECT_EQ(e.section("run").get<std::int64_t>("seed"), 5);
}

TEST_F(Config, SetErrors) {
  fs::path exp = write("exp.toml", kProbe);
  EXPECT_EQ(error(exp, {"novalue"}), "--set 'novalue': expected section.key=value, e.g. --set adapter.r=32");
  EXPECT_EQ(error(exp, {"evaluators[3].n=1"}),
            "--set 'evaluators[3].n=1': 'evaluators' has 1 entries, so [3] does not exist");
  EXPECT_EQ(error(exp, {"evaluators[0].names=[x]"}),
            "--set 'evaluators[0].names=[x]': '[x]' is not a TOML value (arrays need quoted strings: [\"a\", \"b\"])");
  EXPECT_EQ(error(exp, {"run.seed=abc"}),
            "--set: 'run.seed' must be int, got string \"abc\" (Seed for data order, initialisation, dropout and "
            "sampling).");
  EXPECT_EQ(error(exp, {"run.sede=1"}),
            "--set: unknown key 'sede' in [run]. Did you mean 'seed'? Valid keys: name, output_dir, seed, device.");
  fs::path seeded = write("seeded.toml", "[run]\nseed = 1\n");
  EXPECT_EQ(error(seeded, {"run.seed.x=1"}), "--set 'run.seed.x=1': 'run.seed' is not a table");
}

TEST_F(Config, RelativePathsResolveAgainstTheFileThatSetThem) {
  write("sub/inc.toml", "[[evaluators]]\nplugin = \"probe\"\ndata = \"d/x.jsonl\"\nextra = [\"e1\", \"/abs/e2\"]\n");
  fs::path exp = write("exp.toml", "include = [\"sub/inc.toml\"]\n");
  Experiment e = resolve(exp);
  EXPECT_EQ(probe(e, "data"), Value((dir_ / "sub/d/x.jsonl").string()));
  EXPECT_EQ(probe(e, "extra"), Value(Array{(dir_ / "sub/e1").string(), "/abs/e2"}));
  // --set and defaults resolve against the working directory.
  Experiment s = resolve(exp, {"evaluators[0].data=rel.jsonl"});
  EXPECT_EQ(probe(s, "data"), Value((fs::current_path() / "rel.jsonl").string()));
  EXPECT_EQ(s.section("run").get<std::string>("output_dir"), (fs::current_path() / "runs").string());
}

TEST_F(Config, ResolvedConfigRerunsToTheSameExperiment) {
  write("base.toml", "[run]\nseed = 11\n");
  fs::path exp = write("exp.toml", std::string("include = [\"base.toml\"]\n") + kProbe +
                                       "names = [\"q\\\"uote\", \"tab\\t\"]\nrate = 1e-5\n");
  Experiment first = resolve(exp, {"evaluators[0].n=7"});
  fs::path resolved = write("run/config.resolved.toml", first.to_toml());
  Experiment again = resolve(resolved);
  EXPECT_EQ(first.root(), again.root());
  auto body = [](const std::string& s) { return s.substr(s.find("\n[")); };  // skip the header comment
  EXPECT_EQ(body(first.to_toml()), body(again.to_toml()));
  EXPECT_EQ(probe(again, "rate"), Value(1e-5));
  EXPECT_EQ(probe(again, "n"), Value(std::int64_t{7}));
}

TEST_F(Config, PluginConstructorRejectsBadValueWithOrigin) {
  fs::path exp = write("exp.toml", std::string(kProbe) + "n = -1\n");
  Experiment e = resolve(exp);
  const PluginUse& use = *e.plugins_in("evaluators").at(0);
  EXPECT_THAT([&] { instantiate(use, make_context(e, use, {})); },
              testing::ThrowsMessage<ConfigError>(at(exp, 4, 1) + ": 'evaluators[0].n': must be >= 0"));
}

TEST(ConfigSectionView, TypedGetters) {
  ConfigSection s("adapter", Table{{"r", 16}, {"alpha", 32.5}, {"targets", Array{"q", "v"}}, {"on", true}},
                  {{"r", "x.toml:3:1"}});
  EXPECT_EQ(s.get<int>("r"), 16);
  EXPECT_EQ(s.get<double>("r"), 16.0);
  EXPECT_EQ(s.get<double>("alpha"), 32.5);
  EXPECT_EQ(s.get<std::vector<std::string>>("targets"), (std::vector<std::string>{"q", "v"}));
  EXPECT_TRUE(s.get<bool>("on"));
  EXPECT_EQ(s.get_or<std::int64_t>("missing", 4), 4);
  EXPECT_THAT([&] { s.get<std::string>("r"); },
              testing::ThrowsMessage<ConfigError>("x.toml:3:1: 'adapter.r' has type int, expected string"));
  EXPECT_THAT([&] { s.get<int>("nope"); }, testing::ThrowsMessage<ConfigError>("missing key 'adapter.nope'"));
}

TEST(DidYouMean, PicksTheClosestWithinDistance) {
  EXPECT_EQ(did_you_mean("lorra", {"lora", "qlora", "ia3"}), "lora");
  EXPECT_EQ(did_you_mean("zzzzzz", {"lora", "qlora"}), "");
}
