// `socrates export --adapter DIR --merge` and `socrates generate --adapter DIR` on every model
// fixture with a PEFT adapter: the exported folder reloads with CausalLM::load and gives
// PEFT's adapted logits; generation with the adapter equals generation with the merged model.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <unistd.h>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "cli/cli.hpp"
#include "fixtures.hpp"
#include "generate/generation.hpp"
#include "io/safetensors_model.hpp"
#include "model/causal_lm.hpp"
#include "model/adapter_io.hpp"

namespace fs = std::filesystem;
using namespace socrates;
using namespace socrates::testing_fixtures;

namespace {

int run_command(const std::string& name, const std::vector<std::string>& args) {
  for (const cli::Command& c : cli::commands())
    if (name == c.name) return c.run(args);
  throw std::runtime_error("no command " + name);
}

// Runs a command and returns what it printed on stdout.
std::string run_capture(const std::string& name, const std::vector<std::string>& args) {
  std::stringstream out;
  std::streambuf* old = std::cout.rdbuf(out.rdbuf());
  try {
    run_command(name, args);
  } catch (...) {
    std::cout.rdbuf(old);
    throw;
  }
  std::cout.rdbuf(old);
  return out.str();
}

double rel_error(const at::Tensor& got, const at::Tensor& want) {
  return (got.to(at::kDouble) - want.to(at::kDouble)).abs().max().item<double>() /
         want.to(at::kDouble).abs().max().item<double>();
}

fs::path fresh_dir(const std::string& tag) {
  static int n = 0;
  fs::path d = fs::temp_directory_path() /
               ("socrates-export-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
  fs::remove_all(d);
  return d;
}

std::string ids_text(const at::Tensor& row) {
  std::string s;
  for (std::int64_t i = 0; i < row.numel(); ++i) s += (i ? "," : "") + std::to_string(row[i].item<std::int64_t>());
  return s;
}

class ExportGolden : public ::testing::TestWithParam<fs::path> {
 protected:
  void SetUp() override {
    dir_ = GetParam();
    if (!fs::is_regular_file(dir_ / "adapter" / "adapter_config.json")) GTEST_SKIP() << dir_ << " has no adapter/";
    ref_ = std::make_unique<SafetensorsModel>(SafetensorsModel::open(dir_ / "reference.safetensors"));
    out_ = fresh_dir(fixture_name(dir_));
  }
  void TearDown() override { fs::remove_all(out_); }
  void export_merged(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--model", (dir_ / "model").string(), "--adapter", (dir_ / "adapter").string(),
                                  "--merge", "--out", out_.string(), "--log-level", "warn"};
    args.insert(args.end(), extra.begin(), extra.end());
    ASSERT_EQ(run_command("export", args), 0);
  }
  fs::path dir_, out_;
  std::unique_ptr<SafetensorsModel> ref_;
};

TEST_P(ExportGolden, MergedFolderGivesPeftLogits) {
  export_merged();
  for (const char* f : {"config.json", "model.safetensors"}) EXPECT_TRUE(fs::is_regular_file(out_ / f)) << f;
  for (const char* f : {"generation_config.json", "tokenizer.json", "tokenizer_config.json"}) {
    EXPECT_EQ(fs::is_regular_file(dir_ / "model" / f), fs::is_regular_file(out_ / f)) << f << " copied if present";
  }
  // Same tensor names, shapes and dtypes as the input checkpoint; HF metadata.
  const SafetensorsModel in = SafetensorsModel::open(dir_ / "model"), got = SafetensorsModel::open(out_);
  EXPECT_EQ(got.names(), in.names());
  for (const std::string& n : in.names()) {
    EXPECT_EQ(got.info(n).shape, in.info(n).shape) << n;
    EXPECT_EQ(got.info(n).dtype, in.info(n).dtype) << n;
  }
  EXPECT_EQ(got.files().front().metadata(), (std::map<std::string, std::string>{{"format", "pt"}}));

  auto merged = CausalLM::load(out_, c10::kCPU, at::kFloat);
  at::NoGradGuard g;
  const at::Tensor logits = merged->logits(merged->forward(ref_->load("input_ids")));
  const double e = rel_error(logits, ref_->load("lora_logits"));
  EXPECT_LE(e, 1e-4);
  std::printf("[%s] exported merged model: logits rel error vs PEFT %.3g\n", fixture_name(dir_).c_str(), e);
}

TEST_P(ExportGolden, Bfloat16Export) {
  export_merged({"--dtype", "bfloat16"});
  const SafetensorsModel got = SafetensorsModel::open(out_);
  for (const std::string& n : got.names()) EXPECT_EQ(got.load(n).scalar_type(), at::kBFloat16) << n;
  auto merged = CausalLM::load(out_, c10::kCPU);
  EXPECT_EQ(merged->config().dtype, at::kBFloat16) << "config.json names the new dtype";
}

TEST_P(ExportGolden, GenerateWithAdapterEqualsTheMergedModel) {
  export_merged();
  const at::Tensor prompt = ref_->load("gen_prompt")[0];
  const std::int64_t n = fixture_readme(dir_).at("generate").at("max_new_tokens").get<std::int64_t>();
  const std::string printed =
      run_capture("generate", {"--model", (dir_ / "model").string(), "--adapter", (dir_ / "adapter").string(),
                               "--prompt-ids", ids_text(prompt), "--max-new-tokens", std::to_string(n), "--ids",
                               "--log-level", "warn"});
  auto merged = CausalLM::load(out_, c10::kCPU, at::kFloat);
  SamplingParams p;
  p.max_new_tokens = n;
  p.stop_ids = merged->config().eos_token_ids;
  std::vector<std::int64_t> ids;
  for (std::int64_t i = 0; i < prompt.numel(); ++i) ids.push_back(prompt[i].item<std::int64_t>());
  const Generation want = generate(*merged, {ids}, p);
  std::string want_text;
  for (std::size_t i = 0; i < want.tokens[0].size(); ++i) want_text += (i ? "," : "") + std::to_string(want.tokens[0][i]);
  // The ids come last (a decoded line comes first when the folder has a tokenizer).
  EXPECT_TRUE(printed == want_text + "\n" || printed.ends_with("\n" + want_text + "\n")) << printed;
  // The base model's continuation, for the log.
  const std::string base = run_capture("generate", {"--model", (dir_ / "model").string(), "--prompt-ids",
                                                    ids_text(prompt), "--max-new-tokens", std::to_string(n), "--ids",
                                                    "--log-level", "warn"});
  std::printf("[%s] generate --adapter: %s (base: %s)", fixture_name(dir_).c_str(), want_text.c_str(), base.c_str());
}

TEST_P(ExportGolden, AttachPeftAdapterReadsTheConfig) {
  const Table t = lora_options_from_peft(dir_ / "adapter");
  const auto c = nlohmann::json::parse(std::ifstream(dir_ / "adapter" / "adapter_config.json"));
  EXPECT_EQ(t.at("r").as<std::int64_t>(), c.at("r").get<std::int64_t>());
  EXPECT_EQ(t.at("alpha").as<double>(), c.at("lora_alpha").get<double>());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ExportGolden, ::testing::ValuesIn(model_fixtures()),
                         [](const auto& info) { return fixture_name(info.param); });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(ExportGolden);

TEST(Export, BadArgumentsAreErrors) {
  const auto fixtures = model_fixtures();
  ASSERT_FALSE(fixtures.empty());
  const fs::path m = fixtures.front() / "model", a = fixtures.front() / "adapter";
  const fs::path out = fresh_dir("bad");
  EXPECT_THAT([&] { run_command("export", {"--model", m.string(), "--adapter", a.string(), "--out", out.string()}); },
              testing::ThrowsMessage<ConfigError>(testing::HasSubstr("export: --adapter needs --merge")));
  EXPECT_THAT([&] { run_command("export", {"--model", m.string(), "--merge", "--out", out.string()}); },
              testing::ThrowsMessage<ConfigError>("export: --merge needs --adapter DIR"));
  EXPECT_THAT([&] { run_command("export", {"--model", m.string(), "--out", m.string()}); },
              testing::ThrowsMessage<ConfigError>(testing::HasSubstr("exists and is not an empty folder")));
  EXPECT_THAT([&] {
    run_command("export", {"--model", m.string(), "--adapter", m.string(), "--merge", "--out", out.string()});
  }, testing::ThrowsMessage<Error>(testing::HasSubstr((m / "adapter_config.json").string() + ": cannot open")));
  fs::remove_all(out);
}

}  // namespace
