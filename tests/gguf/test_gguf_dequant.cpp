// Dequantisation of every supported type against values worked out by hand from ggml's
// block layouts (ggml-common.h): the scales are written as literal half-precision bits.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "gguf/gguf_dequant.hpp"
#include "gguf/gguf_file.hpp"
#include "gguf/gguf_types.hpp"
#include "gguf_test_util.hpp"
#include "gguf_writer.hpp"
#include "socrates/error.hpp"

using namespace socrates;
using namespace socrates::testing;
using socrates::gguf::TensorType;

namespace {

std::string u16(std::uint16_t v) { return std::string(reinterpret_cast<const char*>(&v), 2); }

constexpr std::uint16_t kHalf0_25 = 0x3400, kHalf0_5 = 0x3800, kHalfMinus1 = 0xBC00, kHalf2 = 0x4000;

// A Q4 block's 16 bytes: low nibble j, high nibble 15 - j.
std::string nibbles() {
  std::string s;
  for (int j = 0; j < 16; ++j) s += static_cast<char>(j | ((15 - j) << 4));
  return s;
}

std::vector<float> run(TensorType type, const std::string& bytes, std::uint64_t n) {
  std::vector<float> out(n, -99.0f);
  gguf::dequantize_row(static_cast<std::uint32_t>(type), reinterpret_cast<const std::byte*>(bytes.data()), out.data(), n);
  return out;
}

// Writes a [2, 32] tensor of `type` and reads it back through the file (row layout, offsets).
at::Tensor through_file(TensorType type, const std::string& bytes) {
  GgufWriter w;
  w.add_tensor("t", {32, 2}, static_cast<std::uint32_t>(type), bytes);
  w.add("pad", gguf_u8(1));  // an odd-sized header, so the data section needs padding
  const auto dir = gguf_test::fresh_dir("dequant");
  w.write(dir / "t.gguf");
  const auto f = gguf::GgufFile::open(dir / "t.gguf");
  return gguf::dequantize(f, *f.tensor("t"));
}

}  // namespace

TEST(GgufDequant, Float32Float16Bfloat16) {
  float f[3] = {1.5f, -0.0f, 3.0e38f};
  EXPECT_EQ(run(TensorType::F32, std::string(reinterpret_cast<char*>(f), 12), 3), (std::vector<float>{1.5f, -0.0f, 3.0e38f}));
  // 1.5, -2, 65504 (largest half), 2^-24 (smallest subnormal half), 2^-14 (smallest normal).
  const auto h = run(TensorType::F16, u16(0x3E00) + u16(0xC000) + u16(0x7BFF) + u16(0x0001) + u16(0x0400), 5);
  EXPECT_EQ(h, (std::vector<float>{1.5f, -2.0f, 65504.0f, 0x1p-24f, 0x1p-14f}));
  // bfloat16 is the top half of a float32: 1.5, -2, 3.140625, 1e38-ish.
  const auto b = run(TensorType::BF16, u16(0x3FC0) + u16(0xC000) + u16(0x4049) + u16(0x7E96), 4);
  EXPECT_EQ(b, (std::vector<float>{1.5f, -2.0f, 3.140625f, 0x1.2Cp+126f}));
}

TEST(GgufDequant, Q8_0) {
  std::string block0 = u16(kHalf0_5), block1 = u16(kHalf2);
  for (int j = 0; j < 32; ++j) block0 += static_cast<char>(static_cast<std::int8_t>(j - 16));
  for (int j = 0; j < 32; ++j) block1 += static_cast<char>(static_cast<std::int8_t>(j == 0 ? -128 : 127));
  const auto y = run(TensorType::Q8_0, block0 + block1, 64);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], (j - 16) * 0.5f) << j;
  EXPECT_EQ(y[32], -256.0f);
  EXPECT_EQ(y[33], 254.0f);
  const at::Tensor t = through_file(TensorType::Q8_0, block0 + block1);
  EXPECT_EQ(t.sizes(), (std::vector<std::int64_t>{2, 32}));
  EXPECT_EQ(t[0][5].item<float>(), -5.5f);
  EXPECT_EQ(t[1][0].item<float>(), -256.0f);
}

TEST(GgufDequant, Q4_0) {
  // value = (nibble - 8) * d; byte j holds value j (low nibble) and value j + 16 (high nibble).
  const std::string block0 = u16(kHalf0_25) + nibbles(), block1 = u16(kHalf2) + nibbles();
  const auto y = run(TensorType::Q4_0, block0 + block1, 64);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], (j - 8) * 0.25f) << j;
    EXPECT_EQ(y[j + 16], (15 - j - 8) * 0.25f) << j;
    EXPECT_EQ(y[32 + j], (j - 8) * 2.0f) << j;
  }
  const at::Tensor t = through_file(TensorType::Q4_0, block0 + block1);
  EXPECT_EQ(t[0][0].item<float>(), -2.0f);
  EXPECT_EQ(t[0][16].item<float>(), 1.75f);
  EXPECT_EQ(t[1][31].item<float>(), -16.0f);
}

TEST(GgufDequant, Q4_1) {
  // value = nibble * d + m, d then m as halves.
  const std::string block0 = u16(kHalf0_5) + u16(kHalfMinus1) + nibbles();
  const std::string block1 = u16(kHalf0_25) + u16(kHalf2) + nibbles();
  const auto y = run(TensorType::Q4_1, block0 + block1, 64);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], j * 0.5f - 1.0f) << j;
    EXPECT_EQ(y[j + 16], (15 - j) * 0.5f - 1.0f) << j;
    EXPECT_EQ(y[32 + j], j * 0.25f + 2.0f) << j;
    EXPECT_EQ(y[48 + j], (15 - j) * 0.25f + 2.0f) << j;
  }
  const at::Tensor t = through_file(TensorType::Q4_1, block0 + block1);
  EXPECT_EQ(t[0][15].item<float>(), 6.5f);
  EXPECT_EQ(t[1][16].item<float>(), 5.75f);
}

TEST(GgufDequant, RejectsOtherTypesAndPartialBlocks) {
  std::vector<float> out(256);
  const std::string zeros(1024, '\0');
  const auto* src = reinterpret_cast<const std::byte*>(zeros.data());
  EXPECT_THROW(gguf::dequantize_row(static_cast<std::uint32_t>(TensorType::Q4_K), src, out.data(), 256),
               std::invalid_argument);
  EXPECT_THROW(gguf::dequantize_row(static_cast<std::uint32_t>(TensorType::Q4_0), src, out.data(), 16),
               std::invalid_argument);
  EXPECT_EQ(gguf::tensor_type_name(12), "Q4_K");
  EXPECT_EQ(gguf::tensor_type_name(30), "BF16");
  EXPECT_EQ(gguf::tensor_type_name(999), "type 999");
}
