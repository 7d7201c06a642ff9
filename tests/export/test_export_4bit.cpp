// `socrates export --quantize nf4|fp4` and exporting 4-bit checkpoints, on every fixture under
// <fixtures>/quant/models: quantising the dense counterpart writes the bytes transformers +
// bitsandbytes saved, with their quantization_config; a 4-bit checkpoint exports dense or
// merged with its adapter. Settings are read from the fixture's README.json.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>

#include "cli/cli.hpp"
#include "fixtures.hpp"  // tests/quant
#include "io/safetensors_model.hpp"
#include "model/causal_lm.hpp"

namespace fs = std::filesystem;
using namespace socrates;

namespace {

int export_cmd(std::vector<std::string> args) {
  args.insert(args.end(), {"--log-level", "warn"});
  for (const cli::Command& c : cli::commands())
    if (std::string("export") == c.name) return c.run(args);
  throw std::runtime_error("no export command");
}

fs::path fresh_dir(const std::string& tag) {
  static int n = 0;
  fs::path d = fs::temp_directory_path() /
               ("socrates-export4-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
  fs::remove_all(d);
  return d;
}

double rel_error(const at::Tensor& got, const at::Tensor& want) {
  return (got.to(at::kDouble) - want.to(at::kDouble)).abs().max().item<double>() /
         want.to(at::kDouble).abs().max().item<double>();
}

class Export4bit : public ::testing::TestWithParam<fs::path> {
 protected:
  void SetUp() override {
    dir_ = GetParam();
    readme_ = quant_test::read_json(dir_ / "README.json");
    out_ = fresh_dir(dir_.filename().string());
  }
  void TearDown() override { fs::remove_all(out_); }
  at::Tensor logits_of(const fs::path& model_dir) {
    at::NoGradGuard g;
    auto m = CausalLM::load(model_dir, c10::kCPU, at::kFloat);
    const at::Tensor ids = SafetensorsModel::open(dir_ / "reference.safetensors").load("input_ids");
    return m->logits(m->forward(ids));
  }
  at::Tensor ref(const std::string& name) { return SafetensorsModel::open(dir_ / "reference.safetensors").load(name); }

  fs::path dir_, out_;
  nlohmann::json readme_;
};

TEST_P(Export4bit, QuantisedExportIsWhatBitsandbytesSaves) {
  const auto& q = readme_.at("quantization");
  std::vector<std::string> args{"--model",    quant_test::dense_model_dir(dir_).string(),
                                "--out",      out_.string(),
                                "--dtype",    q.at("compute_dtype").get<std::string>(),
                                "--quantize", q.at("quant_type").get<std::string>(),
                                "--quant-blocksize", std::to_string(q.at("blocksize").get<std::int64_t>())};
  if (!q.at("double_quant").get<bool>()) args.push_back("--no-double-quant");
  ASSERT_EQ(export_cmd(args), 0);
  const auto mine = quant_test::load_safetensors(out_ / "model.safetensors");
  const auto saved = quant_test::load_safetensors_dir(dir_ / "model");
  EXPECT_EQ(mine.size(), saved.size());
  for (const auto& [name, t] : saved) {
    ASSERT_TRUE(mine.count(name)) << name << " is missing from the export";
    EXPECT_TRUE(quant_test::bitwise_equal(mine.at(name), t)) << name << ": " << quant_test::describe_difference(mine.at(name), t);
  }
  const auto config = quant_test::read_json(out_ / "config.json");
  EXPECT_EQ(config.at("quantization_config"),
            quant_test::read_json(dir_ / "model" / "config.json").at("quantization_config"));
  // It loads back as 4 bits, with the reference's base logits.
  auto m = CausalLM::load(out_, c10::kCPU, at::kFloat);
  EXPECT_TRUE(m->quantized());
  EXPECT_LE(rel_error(logits_of(out_), ref("base_logits")), 1e-4);
}

TEST_P(Export4bit, DenseExportDequantises) {
  ASSERT_EQ(export_cmd({"--model", (dir_ / "model").string(), "--out", out_.string()}), 0);
  EXPECT_FALSE(CausalLM::load(out_, c10::kCPU, at::kFloat)->quantized());
  EXPECT_FALSE(quant_test::read_json(out_ / "config.json").contains("quantization_config"));
  EXPECT_LE(rel_error(logits_of(out_), ref("base_logits")), 1e-4);
}

TEST_P(Export4bit, MergingAnAdapterIntoA4BitModel) {
  if (!fs::is_regular_file(dir_ / "adapter" / "adapter_config.json")) GTEST_SKIP() << "no adapter/";
  ASSERT_EQ(export_cmd({"--model", (dir_ / "model").string(), "--adapter", (dir_ / "adapter").string(), "--merge",
                        "--out", out_.string()}),
            0);
  EXPECT_FALSE(CausalLM::load(out_, c10::kCPU, at::kFloat)->quantized());
  EXPECT_LE(rel_error(logits_of(out_), ref("lora_logits")), 1e-4);
}

TEST(Export4bitArgs, BadQuantisationArgumentsAreErrors) {
  const auto dirs = quant_test::model_fixture_dirs();
  ASSERT_FALSE(dirs.empty());
  const std::string m = quant_test::dense_model_dir(dirs.front()).string();
  const std::string out = fresh_dir("bad").string();
  EXPECT_THAT([&] { export_cmd({"--model", m, "--out", out, "--quantize", "nf4", "--quant-blocksize", "65"}); },
              testing::ThrowsMessage<ConfigError>(testing::HasSubstr("--quant-blocksize must be 64, 128")));
  EXPECT_THAT([&] { export_cmd({"--model", m, "--out", out, "--no-double-quant"}); },
              testing::ThrowsMessage<ConfigError>(testing::HasSubstr("need --quantize nf4|fp4")));
  EXPECT_THAT([&] { export_cmd({"--model", m, "--out", out, "--quantize", "int8"}); },
              testing::Throws<Error>());
  EXPECT_FALSE(fs::exists(out));
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Export4bit, ::testing::ValuesIn(quant_test::model_fixture_dirs()),
                         [](const auto& info) {
                           std::string s = info.param.filename().string();
                           for (char& c : s)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return s;
                         });

}  // namespace
