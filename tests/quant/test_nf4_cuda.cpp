// CUDA kernels: the same fixtures bit for bit, and CPU == CUDA on larger tensors. Skipped
// without a GPU (or without the CUDA kernels compiled in).
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "fixtures.hpp"
#include "quant/detail.hpp"
#include "quant/nf4.hpp"

using namespace socrates::quant;
using namespace quant_test;

#define REQUIRE_CUDA()                                                                \
  do {                                                                                \
    if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";                             \
    if (!cuda_kernels_built()) GTEST_SKIP() << "socrates_quant built without CUDA"; \
  } while (0)

namespace {

bool cuda_kernels_built() {
#ifdef SOCRATES_QUANT_CUDA
  return true;
#else
  return false;
#endif
}

c10::Device gpu() { return c10::Device(c10::kCUDA, 0); }

int sm_count() {
#ifdef SOCRATES_QUANT_CUDA
  return socrates::quant::detail::cuda_device_shape(0).first;
#else
  return 132;
#endif
}

std::map<std::string, at::Tensor> with_prefix(const std::map<std::string, at::Tensor>& all, const std::string& c) {
  std::map<std::string, at::Tensor> out;
  for (const auto& [k, t] : all) {
    if (k.rfind(c + ".", 0) != 0) continue;
    const std::string rest = k.substr(c.size() + 1);
    if (rest == "packed") out["w"] = t;
    else if (rest != "input" && rest != "dequantized") out["w." + rest] = t;
  }
  return out;
}

}  // namespace

TEST(Nf4Cuda, FixtureCasesBitExact) {
  REQUIRE_CUDA();
  const auto refs = load_safetensors(quant_dir() / "nf4_refs.safetensors");
  const auto readme = read_json(quant_dir() / "README.json");
  int cases = 0;
  for (const auto& [c, meta] : readme.items()) {
    if (!meta.is_object() || !meta.contains("double_quant")) continue;
    SCOPED_TRACE(c);
    ++cases;
    const auto pieces = with_prefix(refs, c);
    QuantOptions opt;
    opt.blocksize = meta.at("blocksize").get<std::int64_t>();
    opt.double_quant = meta.at("double_quant").get<bool>();
    const Nf4Tensor q = quantize_4bit(refs.at(c + ".input").to(gpu()), opt);
    EXPECT_TRUE(q.packed.is_cuda());
    const auto mine = to_state_dict(q, "w");
    ASSERT_EQ(mine.size(), pieces.size());
    for (const auto& [k, t] : pieces) EXPECT_TRUE(bitwise_equal(mine.at(k), t)) << k << ": " << describe_difference(mine.at(k), t);
    const Nf4Tensor saved = from_state_dict("w", pieces).to(gpu());
    const at::Tensor d = dequantize(saved);
    EXPECT_TRUE(d.is_cuda());
    EXPECT_TRUE(bitwise_equal(d, refs.at(c + ".dequantized"))) << describe_difference(d.cpu(), refs.at(c + ".dequantized"));
  }
  EXPECT_GT(cases, 0);
}

TEST(Nf4Cuda, ModelFixturesBitExact) {
  REQUIRE_CUDA();
  for (const fs::path& dir : model_fixture_dirs()) {
    SCOPED_TRACE(dir.string());
    const auto saved = load_safetensors_dir(dir / "model");
    const auto dense = load_safetensors_dir(dense_model_dir(dir));
    int checked = 0;
    for (const auto& [name, w] : dense) {
      if (!is_saved_4bit(name, saved)) continue;
      SCOPED_TRACE(name);
      const Nf4Tensor ref = from_state_dict(name, saved);
      QuantOptions opt;
      opt.quant_type = ref.quant_type;
      opt.blocksize = ref.blocksize;
      opt.double_quant = ref.nested();
      const auto mine = to_state_dict(quantize_4bit(w.to(gpu()), opt), name);
      for (const auto& [k, t] : mine) EXPECT_TRUE(bitwise_equal(t, saved.at(k))) << k << ": " << describe_difference(t, saved.at(k));
      EXPECT_TRUE(bitwise_equal(dequantize(ref.to(gpu())).cpu(), dequantize(ref)));
      ++checked;
    }
    EXPECT_GT(checked, 0);
  }
}

TEST(Nf4Cuda, CpuAndCudaAgreeOnLargeTensors) {
  REQUIRE_CUDA();
  at::manual_seed(11);
  // 1 to 300k blocks of 64: past 131072 blocks torch splits the mean over thread blocks.
  for (std::int64_t rows : {1, 3, 1000, 70000, 300000}) {
    for (auto dt : {at::kFloat, at::kBFloat16, at::kHalf}) {
      SCOPED_TRACE(std::to_string(rows) + " rows " + c10::toString(dt));
      const at::Tensor x = (at::randn({rows, 64}) * at::rand({rows, 1})).to(dt);
      QuantOptions opt;
      opt.reference_sm_count = sm_count();
      const auto a = to_state_dict(quantize_4bit(x, opt), "w");
      const auto b = to_state_dict(quantize_4bit(x.to(gpu()), opt), "w");
      for (const auto& [k, t] : a) EXPECT_TRUE(bitwise_equal(t, b.at(k))) << k << ": " << describe_difference(t, b.at(k));
      const Nf4Tensor q = quantize_4bit(x, opt);
      for (auto out : {at::kFloat, at::kBFloat16, at::kHalf})
        EXPECT_TRUE(bitwise_equal(dequantize(q, out), dequantize(q.to(gpu()), out).cpu()));
    }
  }
}

TEST(Nf4Cuda, MeanEmulationMatchesTorchCuda) {
  REQUIRE_CUDA();
  at::manual_seed(12);
  const auto [sms, threads] = [] {
#ifdef SOCRATES_QUANT_CUDA
    return socrates::quant::detail::cuda_device_shape(0);
#else
    return std::pair<int, int>{132, 2048};
#endif
  }();
  for (std::int64_t n : {1, 2, 7, 127, 128, 129, 1000, 4096, 65537, 131072, 131073, 500000, 2000000, 7340033}) {
    const at::Tensor x = at::rand({n});
    const float want = at::mean(x.to(gpu())).item<float>();
    EXPECT_EQ(torch_cuda_mean_f32(x.data_ptr<float>(), n, sms, threads), want) << "n = " << n;
  }
}
