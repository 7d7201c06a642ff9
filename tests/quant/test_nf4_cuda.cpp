// CUDA kernels: the same fixtures bit for bit, and CPU == CUDA on larger tensors. Skipped
// without a GPU (or without the CUDA kernels compiled in).
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

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

// bitsandbytes builds its kernels with --use_fast_math, and so do we (bit-exact with its
// saved bytes, Nf4Cuda.FixtureCasesBitExact): 1/absmax is then the GPU's approximate
// reciprocal, which may differ from the CPU's correctly rounded one by an ulp. A value that
// lies on a code boundary then gets the neighbouring code. Every code that differs must be
// such a case: the CPU's code with the exact reciprocal, the GPU's with the next float to it.
void expect_codes_equal_up_to_reciprocal_rounding(const at::Tensor& x, const Nf4Tensor& q, const at::Tensor& packed_cpu,
                                                  const at::Tensor& packed_gpu, const at::Tensor& absmax_cpu,
                                                  const at::Tensor& absmax_gpu) {
  const at::Tensor xf = x.to(at::kFloat).flatten().contiguous();
  const at::Tensor amax = xf.view({-1, q.blocksize}).abs().amax(1).contiguous();  // the blocks are full here
  const float* xv = xf.data_ptr<float>();
  const float* av = amax.data_ptr<float>();
  auto explained = [](float value, float amax_v, std::uint8_t cpu, std::uint8_t gpu, auto code_of) {
    const float inv = 1.0f / amax_v;
    if (code_of(value * inv) != cpu) return false;
    for (float to : {0.0f, std::numeric_limits<float>::infinity()})
      if (code_of(value * std::nextafter(inv, to)) == gpu) return true;
    return false;
  };
  std::int64_t flips = 0;
  const auto* pc = packed_cpu.data_ptr<std::uint8_t>();
  const auto* pg = packed_gpu.data_ptr<std::uint8_t>();
  for (std::int64_t j = 0; j < packed_cpu.numel(); ++j) {
    if (pc[j] == pg[j]) continue;
    for (int half = 0; half < 2; ++half) {
      const int shift = half ? 0 : 4;
      const std::uint8_t c = (pc[j] >> shift) & 15, g = (pg[j] >> shift) & 15;
      if (c == g) continue;
      const std::int64_t e = 2 * j + half;
      ++flips;
      EXPECT_TRUE(explained(xv[e], av[e / q.blocksize], c, g, [](float v) { return nf4_code(v); }))
          << "element " << e << ": CPU code " << int(c) << ", CUDA code " << int(g);
    }
  }
  if (q.nested()) {
    const float off = q.offset_value();
    const at::Tensor code = q.nested_quant_map.cpu().contiguous(), nabs = q.nested_absmax.cpu().contiguous();
    const auto* ac = absmax_cpu.data_ptr<std::uint8_t>();
    const auto* ag = absmax_gpu.data_ptr<std::uint8_t>();
    for (std::int64_t i = 0; i < absmax_cpu.numel(); ++i) {
      if (ac[i] == ag[i]) continue;
      ++flips;
      EXPECT_TRUE(explained(av[i] - off, nabs.data_ptr<float>()[i / q.nested_blocksize], ac[i], ag[i],
                            [&](float v) { return quantize_8bit_value(code.data_ptr<float>(), v); }))
          << "absmax " << i << ": CPU code " << int(ac[i]) << ", CUDA code " << int(ag[i]);
    }
  } else {
    EXPECT_TRUE(bitwise_equal(absmax_cpu, absmax_gpu));
  }
  EXPECT_LE(flips, std::max<std::int64_t>(2, x.numel() / 10000)) << "boundary cases are rare";
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
      const Nf4Tensor q = quantize_4bit(x, opt);
      const auto a = to_state_dict(q, "w");
      const auto b = to_state_dict(quantize_4bit(x.to(gpu()), opt), "w");
      for (const auto& [k, t] : a) {
        if (k == "w" || k == "w.absmax") continue;
        EXPECT_TRUE(bitwise_equal(t, b.at(k))) << k << ": " << describe_difference(t, b.at(k));
      }
      expect_codes_equal_up_to_reciprocal_rounding(x, q, a.at("w"), b.at("w").cpu(), a.at("w.absmax"),
                                                    b.at("w.absmax").cpu());
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
