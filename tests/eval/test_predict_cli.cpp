// `socrates predict` end to end: the built executable on a random tiny model from an
// experiment file and from a run directory with a LoRA adapter.
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "run_cli.hpp"

#include <ATen/ops/randn.h>

#include "eval/predict.hpp"
#include "eval_test_util.hpp"
#include "data/pipeline.hpp"
#include "model/model_loader.hpp"

using namespace socrates;
using namespace socrates::eval_test;
using testing::HasSubstr;

namespace {

using Result = test::CliResult;

std::string quote(const std::string& s) { return test::shell_quote(s); }

Result run_cli(const std::string& args, const fs::path& dir) { return test::run_socrates("predict " + args, dir); }

/// The histogram's (answer, probability) lines.
std::vector<std::pair<double, double>> histogram(const std::string& out) {
  std::vector<std::pair<double, double>> rows;
  std::stringstream ss(out);
  for (std::string line; std::getline(ss, line);) {
    double a = 0, p = 0;
    char rest = 0;
    if (std::sscanf(line.c_str(), " %lf %lf %c", &a, &p, &rest) >= 2 && line.find("probability") == std::string::npos &&
        line.find(':') == std::string::npos)
      rows.emplace_back(a, p);
  }
  return rows;
}

const std::string kPerson = "--demographics 'Age: 34; Gender: Female; Party ID: Independent'";
const std::string kScenario =
    "--scenario 'Should the city build more bike lanes? Only return an integer from 1 to 5, where 1 means no.'";

class PredictCli : public testing::Test {
 protected:
  void SetUp() override {
    set_log_level("warn");
    dir_ = make_temp_dir(testing::UnitTest::GetInstance()->current_test_info()->name());
    exp_ = write_experiment(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  /// A run directory: the experiment as config.resolved.toml and a LoRA adapter whose B
  /// matrices are random (a fresh adapter's are zero and would change nothing).
  fs::path make_run_dir() {
    const fs::path run = dir_ / "runs/predict-test-1";
    fs::create_directories(run);
    std::ifstream in(exp_);
    std::stringstream ss;
    ss << in.rdbuf() << "\n[adapter]\nplugin = \"lora\"\nr = 2\nalpha = 4.0\n";
    std::ofstream(run / "config.resolved.toml") << ss.str();
    Experiment exp = load(run / "config.resolved.toml");
    std::shared_ptr<Adapter> adapter = make_component<Adapter>(exp, "adapter", run);
    auto model = load_model(exp.settings().model, exp.settings().run);
    adapter->attach(*model);
    {
      at::NoGradGuard no_grad;
      for (auto& [name, t] : adapter->parameters())
        if (name.find("lora_B") != std::string::npos) t.copy_(at::randn(t.sizes()) * 0.5);
    }
    adapter->save(run / "adapter");
    for (LinearSite* s : model->linear_sites()) s->set_delta(nullptr);
    return run;
  }

  fs::path dir_, exp_;
};

TEST_F(PredictCli, ExactDistributionFromAnExperiment) {
  const Result r = run_cli(quote(exp_.string()) + " " + kPerson + " " + kScenario + " --distribution", dir_);
  ASSERT_EQ(r.status, 0) << r.err;
  const auto h = histogram(r.out);
  ASSERT_EQ(h.size(), 5u) << r.out;
  double sum = 0;
  for (std::size_t k = 0; k < h.size(); ++k) {
    EXPECT_EQ(h[k].first, static_cast<double>(k + 1));
    sum += h[k].second;
  }
  EXPECT_NEAR(sum, 1.0, 0.003);
  EXPECT_THAT(r.out, HasSubstr("scale: 1 to 5"));
  EXPECT_THAT(r.out, HasSubstr("probability on valid answers before renormalising"));
  EXPECT_THAT(r.out, HasSubstr("█"));

  // The same numbers as predict() in-process on the same example.
  EvalModel m = open_eval_model(load(exp_), {}, std::nullopt);
  Example ex;
  ex.study_id = "cli";
  ex.demographic = {{"age", "34"}, {"gender", "Female"}, {"party_id", "Independent"}};
  ex.stimuli = "Should the city build more bike lanes? Only return an integer from 1 to 5, where 1 means no.";
  ex.scale_min = 1, ex.scale_max = 5;
  PredictOptions o;
  o.mode = PredictMode::distribution;
  o.max_len = 512;
  const Predictions p = predict(*m.model, *m.format, *m.tokenizer, {ex}, o);
  for (std::size_t k = 0; k < h.size(); ++k) EXPECT_NEAR(h[k].second, p.rows[0].distribution[k].second, 6e-4);
}

TEST_F(PredictCli, SamplesWithParseFailures) {
  const Result r =
      run_cli(quote(exp_.string()) + " " + kPerson + " " + kScenario + " --samples 6 --max-new-tokens 2 --seed 5", dir_);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(" of 6"));
  EXPECT_THAT(r.out, HasSubstr("parse failures: "));
  EXPECT_THAT(r.out, HasSubstr("6 samples in"));
  EXPECT_THAT(r.out, HasSubstr("samples/s"));
  EXPECT_THAT(r.out, HasSubstr("seed 5"));
  // Same seed, same output (but the timing).
  const Result again =
      run_cli(quote(exp_.string()) + " " + kPerson + " " + kScenario + " --samples 6 --max-new-tokens 2 --seed 5", dir_);
  EXPECT_EQ(r.out.substr(0, r.out.find("samples in")), again.out.substr(0, again.out.find("samples in")));
}

TEST_F(PredictCli, RunDirectoryUsesItsAdapter) {
  const fs::path run = make_run_dir();
  const std::string args = quote(run.string()) + " " + kPerson + " " + kScenario + " --distribution";
  const Result tuned = run_cli(args, dir_), base = run_cli(args + " --no-adapter", dir_);
  ASSERT_EQ(tuned.status, 0) << tuned.err;
  ASSERT_EQ(base.status, 0) << base.err;
  EXPECT_THAT(tuned.out, HasSubstr("+ adapter " + (run / "adapter").string()));
  EXPECT_THAT(base.out, testing::Not(HasSubstr("+ adapter")));
  EXPECT_NE(histogram(tuned.out), histogram(base.out)) << "the adapter must change the prediction";
  // --no-adapter is the experiment's model itself.
  const Result plain = run_cli(quote(exp_.string()) + " " + kPerson + " " + kScenario + " --distribution", dir_);
  EXPECT_EQ(histogram(plain.out), histogram(base.out));
}

TEST_F(PredictCli, ShowsThePrompt) {
  const Result r = run_cli(quote(exp_.string()) + " " + kPerson + " " + kScenario + " --distribution --show-prompt", dir_);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Demographics: Age: 34; Gender: Female; Party ID: Independent\nScenario: Should the"));
  EXPECT_THAT(r.out, HasSubstr("### Response:\n"));
}

TEST_F(PredictCli, ClearErrors) {
  const std::string e = quote(exp_.string());
  auto expect_error = [&](const std::string& args, const std::string& text) {
    const Result r = run_cli(args, dir_);
    EXPECT_NE(r.status, 0) << args;
    EXPECT_THAT(r.err, HasSubstr(text)) << args;
  };
  expect_error(e + " " + kPerson, "--scenario is required");
  expect_error(e + " " + kScenario, "--demographics is required");
  expect_error(kPerson + " " + kScenario, "give exactly one of RUN_DIR, EXP.toml or --model DIR");
  expect_error(e + " " + kPerson + " --scenario 'How old are you?' --distribution", "--distribution needs the answer scale");
  expect_error(e + " --demographics 'Age 34' " + kScenario, "'Age 34' is not 'Label: value'");
  expect_error(e + " " + kPerson + " " + kScenario + " --scale-min 3", "give both --scale-min and --scale-max");
  expect_error(quote((dir_ / "nope").string()) + " " + kPerson + " " + kScenario, "no such run directory or experiment");
  expect_error(quote(dir_.string()) + " " + kPerson + " " + kScenario, "no config.resolved.toml");
  expect_error(e + " " + kPerson + " " + kScenario + " --samples 3 --distribution", "exclude each other");
}

TEST_F(PredictCli, Help) {
  const Result r = run_cli("--help", dir_);
  EXPECT_EQ(r.status, 0);
  EXPECT_THAT(r.out, HasSubstr("--demographics"));
  EXPECT_THAT(r.out, HasSubstr("--distribution"));
}

}  // namespace
