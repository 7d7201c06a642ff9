#include "gguf/gguf_dequant.hpp"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include <ATen/ops/empty.h>
#include <c10/util/Half.h>

#include "gguf/gguf_types.hpp"

namespace socrates::gguf {

namespace {

std::uint16_t u16(const std::byte* p) {
  std::uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}
float half(const std::byte* p) { return c10::detail::fp16_ieee_to_fp32_value(u16(p)); }
float bf16(const std::byte* p) {
  const std::uint32_t bits = std::uint32_t{u16(p)} << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// One block of 32 values; `b` points at the block, `y` at its 32 outputs.
void q8_0(const std::byte* b, float* y) {
  const float d = half(b);
  const auto* q = reinterpret_cast<const std::int8_t*>(b + 2);
  for (int j = 0; j < 32; ++j) y[j] = static_cast<float>(q[j]) * d;
}
// Q4_0 and Q4_1: byte j holds value j in its low nibble and value j + 16 in its high one.
void q4_0(const std::byte* b, float* y) {
  const float d = half(b);
  const auto* q = reinterpret_cast<const std::uint8_t*>(b + 2);
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>((q[j] & 0x0F) - 8) * d;
    y[j + 16] = static_cast<float>((q[j] >> 4) - 8) * d;
  }
}
void q4_1(const std::byte* b, float* y) {
  const float d = half(b), m = half(b + 2);
  const auto* q = reinterpret_cast<const std::uint8_t*>(b + 4);
  for (int j = 0; j < 16; ++j) {
    y[j] = static_cast<float>(q[j] & 0x0F) * d + m;
    y[j + 16] = static_cast<float>(q[j] >> 4) * d + m;
  }
}

}  // namespace

void dequantize_row(std::uint32_t type, const std::byte* src, float* dst, std::uint64_t n) {
  const auto layout = supported_layout(type);
  if (!layout) throw std::invalid_argument("cannot dequantise ggml type " + tensor_type_name(type));
  if (n % layout->block != 0) throw std::invalid_argument("value count is not a multiple of the block size");
  const std::uint64_t blocks = n / layout->block;
  switch (static_cast<TensorType>(type)) {
    case TensorType::F32: std::memcpy(dst, src, n * 4); return;
    case TensorType::F16:
      for (std::uint64_t i = 0; i < n; ++i) dst[i] = half(src + 2 * i);
      return;
    case TensorType::BF16:
      for (std::uint64_t i = 0; i < n; ++i) dst[i] = bf16(src + 2 * i);
      return;
    case TensorType::Q8_0:
      for (std::uint64_t i = 0; i < blocks; ++i) q8_0(src + i * layout->bytes, dst + i * 32);
      return;
    case TensorType::Q4_0:
      for (std::uint64_t i = 0; i < blocks; ++i) q4_0(src + i * layout->bytes, dst + i * 32);
      return;
    case TensorType::Q4_1:
      for (std::uint64_t i = 0; i < blocks; ++i) q4_1(src + i * layout->bytes, dst + i * 32);
      return;
    default: break;
  }
  throw std::invalid_argument("cannot dequantise ggml type " + tensor_type_name(type));
}

at::Tensor dequantize(const GgufFile& file, const TensorInfo& t) {
  const auto layout = supported_layout(t.type);
  if (!layout)
    file.fail("tensor '" + t.name + "' is stored as " + tensor_type_name(t.type) + ", which Socrates cannot dequantise (" +
              supported_tensor_types() + "); use a GGUF file of the model in one of those types");
  at::Tensor out = at::empty(t.shape(), at::TensorOptions().dtype(at::kFloat));
  const std::uint64_t row = t.dims[0], rows = t.elements() / row;
  const std::uint64_t row_bytes = row / layout->block * layout->bytes;
  const std::byte* src = file.tensor_data(t);
  float* dst = out.data_ptr<float>();
  // One thread: decoding runs at memory speed, and OpenMP workers only spin on a busy machine.
  for (std::uint64_t r = 0; r < rows; ++r) dequantize_row(t.type, src + r * row_bytes, dst + r * row, row);
  for (std::uint64_t i = 0; i < rows * row; ++i)
    if (!std::isfinite(dst[i]))
      file.fail("tensor '" + t.name + "' holds a value that is not finite (at index " + std::to_string(i) +
                "); the file is corrupt: download it again");
  return out;
}

}  // namespace socrates::gguf
