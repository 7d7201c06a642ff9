// Pre-quantised checkpoints (fixtures/quant/models/<name>-nf4/model, saved by transformers +
// bitsandbytes): quantising the dense weights of fixtures/models/<name>/model gives exactly the
// saved tensors, JSON blob included. Every folder under fixtures/quant/models and every folder
// in SOCRATES_EXTRA_QUANT_FIXTURES is checked; settings come from the files.
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "fixtures.hpp"
#include "quant/nf4.hpp"

using namespace socrates::quant;
using namespace quant_test;


TEST(Nf4Models, FixturesExist) {
  const auto dirs = model_fixture_dirs();
  ASSERT_FALSE(dirs.empty()) << "no folders under " << (quant_dir() / "models");
  for (const auto& d : dirs) EXPECT_TRUE(fs::is_directory(d / "model")) << d;
}

TEST(Nf4Models, QuantisingTheDenseWeightsGivesTheSavedBytes) {
  for (const fs::path& dir : model_fixture_dirs()) {
    SCOPED_TRACE(dir.string());
    const fs::path dense_dir = dense_model_dir(dir);
    ASSERT_TRUE(fs::is_directory(dense_dir)) << "dense counterpart not found: " << dense_dir;
    const auto saved = load_safetensors_dir(dir / "model");
    const auto dense = load_safetensors_dir(dense_dir);
    const auto readme = read_json(dir / "README.json");
    const auto& qcfg = readme.at("quantization");
    const auto config = read_json(dir / "model" / "config.json").at("quantization_config");

    int quantised = 0;
    for (const auto& [name, dense_w] : dense) {
      SCOPED_TRACE(name);
      if (!is_saved_4bit(name, saved)) {
        // Not quantised (embeddings, norms, lm_head, biases): stored unchanged.
        ASSERT_TRUE(saved.count(name)) << "missing from the quantised checkpoint";
        EXPECT_TRUE(bitwise_equal(saved.at(name), dense_w)) << describe_difference(saved.at(name), dense_w);
        continue;
      }
      const Nf4Tensor ref = from_state_dict(name, saved, (dir / "model").string());
      // Settings of this tensor, from its quant_state, agree with README.json and config.json.
      EXPECT_EQ(std::string(to_string(ref.quant_type)), qcfg.at("quant_type").get<std::string>());
      EXPECT_EQ(ref.blocksize, qcfg.at("blocksize").get<std::int64_t>());
      EXPECT_EQ(ref.nested(), qcfg.at("double_quant").get<bool>());
      EXPECT_EQ(std::string(to_string(ref.quant_type)), config.at("bnb_4bit_quant_type").get<std::string>());
      EXPECT_EQ(ref.nested(), config.at("bnb_4bit_use_double_quant").get<bool>());
      EXPECT_EQ(ref.shape, dense_w.sizes().vec());

      QuantOptions opt;
      opt.quant_type = ref.quant_type;
      opt.blocksize = ref.blocksize;
      opt.double_quant = ref.nested();
      const auto mine = to_state_dict(quantize_4bit(dense_w, opt), name);
      for (const auto& [k, t] : mine) {
        ASSERT_TRUE(saved.count(k)) << k << " is not in the saved checkpoint";
        EXPECT_TRUE(bitwise_equal(t, saved.at(k))) << k << ": " << describe_difference(t, saved.at(k));
      }
      for (const auto& [k, _] : saved)
        if (k.rfind(name + ".", 0) == 0) EXPECT_TRUE(mine.count(k)) << k << " saved but not produced";

      // Dequantising is close to the dense weight (4-bit: within half a code step of absmax).
      const at::Tensor d = dequantize(ref, c10::kFloat);
      const at::Tensor err = (d - dense_w.to(c10::kFloat)).abs().view({-1});
      const at::Tensor bound = dequantize_absmax(ref).repeat_interleave(ref.blocksize).slice(0, 0, err.numel());
      EXPECT_TRUE((err <= bound * 0.16 + 1e-6).all().item<bool>());
      ++quantised;
    }
    EXPECT_GT(quantised, 0) << "no bitsandbytes 4-bit weights in " << (dir / "model");
    for (const auto& [k, _] : saved) {
      const bool known = dense.count(k) || k.find(".weight.") != std::string::npos;
      EXPECT_TRUE(known) << "unexpected tensor " << k;
    }
  }
}
