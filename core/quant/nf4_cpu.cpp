// CPU reference of bitsandbytes' blockwise quantisation kernels (csrc kQuantizeBlockwise,
// kDequantizeBlockwise). Each block is independent, so blocks run in parallel.
#include <algorithm>
#include <cmath>
#include <limits>

#include <ATen/Parallel.h>
#include <c10/util/BFloat16.h>
#include <c10/util/Half.h>

#include "quant/detail.hpp"

namespace socrates::quant {

namespace {
// bitsandbytes' NF4 values (get_4bit_type("nf4"), dDequantizeNF4).
constexpr std::array<float, 16> kNf4 = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};
// dDequantizeFP4Tree: magnitude by the low 3 bits, sign by bit 3.
constexpr std::array<float, 8> kFp4Mag = {0.0f, 5.208333333e-03f, 0.66666667f, 1.0f,
                                          0.33333333f, 0.5f, 0.16666667f, 0.25f};

std::array<float, 16> make_fp4_dequant() {
  std::array<float, 16> t{};
  for (int i = 0; i < 8; ++i) t[i] = kFp4Mag[i], t[i + 8] = -kFp4Mag[i];
  return t;
}
std::array<float, 16> make_fp4_quant_map() {
  // get_4bit_type("fp4"): these values divided (float32) by their absmax, 12.
  constexpr float v[16] = {0, 0.0625f, 8, 12, 4, 6, 2, 3, 0, -0.0625f, -8, -12, -4, -6, -2, -3};
  std::array<float, 16> t{};
  for (int i = 0; i < 16; ++i) t[i] = v[i] / 12.0f;
  return t;
}
}  // namespace

const std::array<float, 16>& nf4_table() { return kNf4; }
const std::array<float, 16>& fp4_table() {
  static const std::array<float, 16> t = make_fp4_quant_map();
  return t;
}

std::uint8_t nf4_code(float x) {
  // dQuantizeNF4: thresholds are the midpoints of neighbouring NF4 values, as float literals.
  if (x > 0.03979014977812767f) {
    if (x > 0.3893125355243683f) {
      if (x > 0.6427869200706482f) return x > 0.8614784181118011f ? 0b1111 : 0b1110;
      return x > 0.5016634166240692f ? 0b1101 : 0b1100;
    }
    if (x > 0.2035212516784668f) return x > 0.2920137718319893f ? 0b1011 : 0b1010;
    return x > 0.1202552504837513f ? 0b1001 : 0b1000;
  }
  if (x > -0.33967943489551544f) {
    if (x > -0.13791173323988914f) return x > -0.045525018125772476f ? 0b0111 : 0b0110;
    return x > -0.23460740596055984f ? 0b0101 : 0b0100;
  }
  if (x > -0.6106329262256622f) return x > -0.4599952697753906f ? 0b0011 : 0b0010;
  return x > -0.8480964004993439f ? 0b0001 : 0b0000;
}

std::uint8_t fp4_code(float x) {
  // dQuantizeFP4 (bias 3, pivots divided by 12).
  const std::uint8_t sign = x < 0 ? 0b1000 : 0;
  x = std::fabs(x);
  if (x > 0.29166667f) {
    if (x > 0.583333f) return (x > 0.8333333f ? 0b0011 : 0b0010) + sign;
    return (x > 0.4166667f ? 0b101 : 0b100) + sign;
  }
  if (x > 0.0859375f) return (x > 0.20833333f ? 0b0111 : 0b0110) + sign;
  return (x > 0.00260417f ? 0b0001 : 0b0000) + sign;
}

std::uint8_t quantize_8bit_value(const float* code, float x) {
  // dQuantize<0>: binary search, then the nearer neighbour by float midpoints.
  int pivot = 127, upper_pivot = 255, lower_pivot = 0;
  float lower = -1.0f, upper = 1.0f;
  float val = code[pivot];
  for (int i = 64; i > 0; i >>= 1) {
    if (x > val) {
      lower_pivot = pivot;
      lower = val;
      pivot += i;
    } else {
      upper_pivot = pivot;
      upper = val;
      pivot -= i;
    }
    val = code[pivot];
  }
  if (upper_pivot == 255) upper = code[upper_pivot];
  if (lower_pivot == 0) lower = code[lower_pivot];
  if (x > val) {
    const float midpoint = (upper + val) * 0.5f;
    return static_cast<std::uint8_t>(x > midpoint ? upper_pivot : pivot);
  }
  const float midpoint = (lower + val) * 0.5f;
  return static_cast<std::uint8_t>(x < midpoint ? lower_pivot : pivot);
}

namespace detail {

const float* dequant_table(QuantType type) {
  static const std::array<float, 16> fp4 = make_fp4_dequant();
  return type == QuantType::NF4 ? kNf4.data() : fp4.data();
}

namespace {
template <class T>
float to_f(T v) {
  return static_cast<float>(v);
}
// Block absmax as the kernel computes it: fmaxf over |x| from -FLT_MAX (NaN ignored); a
// partial block also sees the kernel's zero padding.
template <class T>
float block_absmax(const T* x, std::int64_t count, bool padded) {
  float m = padded ? 0.0f : -std::numeric_limits<float>::max();
  for (std::int64_t i = 0; i < count; ++i) m = std::fmax(m, std::fabs(to_f(x[i])));
  return m;
}
}  // namespace

template <class T>
void cpu_quantize_4bit(const T* x, std::int64_t n, std::int64_t blocksize, QuantType type, std::uint8_t* packed,
                       float* absmax) {
  const std::int64_t blocks = (n + blocksize - 1) / blocksize;
  auto code = type == QuantType::NF4 ? &nf4_code : &fp4_code;
  at::parallel_for(0, blocks, 64, [&](std::int64_t b0, std::int64_t b1) {
    for (std::int64_t b = b0; b < b1; ++b) {
      const std::int64_t start = b * blocksize, count = std::min(blocksize, n - start);
      const float amax = block_absmax(x + start, count, count < blocksize);
      absmax[b] = amax;
      const float inv = 1.0f / amax;  // inf for an all-zero block: codes of NaN, as on CUDA
      // Elements past n are the kernel's zero padding (the low nibble of an odd tail).
      for (std::int64_t i = 0; i < count; i += 2) {
        const float a = to_f(x[start + i]) * inv;
        const float c = (i + 1 < count ? to_f(x[start + i + 1]) : 0.0f) * inv;
        packed[(start + i) / 2] = static_cast<std::uint8_t>((code(a) << 4) | code(c));
      }
    }
  });
}

template <class T>
void cpu_dequantize_4bit(const std::uint8_t* packed, const float* absmax, std::int64_t n, std::int64_t blocksize,
                         QuantType type, T* out) {
  const float* table = dequant_table(type);
  at::parallel_for(0, (n + 1) / 2, 4096, [&](std::int64_t j0, std::int64_t j1) {
    for (std::int64_t j = j0; j < j1; ++j) {
      const std::int64_t i = 2 * j;
      const std::uint8_t byte = packed[j];
      out[i] = static_cast<T>(table[byte >> 4] * absmax[i / blocksize]);
      if (i + 1 < n) out[i + 1] = static_cast<T>(table[byte & 15] * absmax[(i + 1) / blocksize]);
    }
  });
}

void cpu_quantize_8bit(const float* x, std::int64_t n, float offset, const float* code256, std::int64_t blocksize,
                       std::uint8_t* out, float* absmax) {
  const std::int64_t blocks = (n + blocksize - 1) / blocksize;
  at::parallel_for(0, blocks, 16, [&](std::int64_t b0, std::int64_t b1) {
    std::vector<float> v(static_cast<std::size_t>(blocksize));
    for (std::int64_t b = b0; b < b1; ++b) {
      const std::int64_t start = b * blocksize, count = std::min(blocksize, n - start);
      for (std::int64_t i = 0; i < count; ++i) v[i] = x[start + i] - offset;
      const float amax = block_absmax(v.data(), count, count < blocksize);
      absmax[b] = amax;
      const float inv = 1.0f / amax;
      for (std::int64_t i = 0; i < count; ++i) out[start + i] = quantize_8bit_value(code256, v[i] * inv);
    }
  });
}

template void cpu_quantize_4bit<float>(const float*, std::int64_t, std::int64_t, QuantType, std::uint8_t*, float*);
template void cpu_quantize_4bit<c10::BFloat16>(const c10::BFloat16*, std::int64_t, std::int64_t, QuantType,
                                               std::uint8_t*, float*);
template void cpu_quantize_4bit<c10::Half>(const c10::Half*, std::int64_t, std::int64_t, QuantType, std::uint8_t*,
                                           float*);
template void cpu_dequantize_4bit<float>(const std::uint8_t*, const float*, std::int64_t, std::int64_t, QuantType,
                                         float*);
template void cpu_dequantize_4bit<c10::BFloat16>(const std::uint8_t*, const float*, std::int64_t, std::int64_t,
                                                 QuantType, c10::BFloat16*);
template void cpu_dequantize_4bit<c10::Half>(const std::uint8_t*, const float*, std::int64_t, std::int64_t,
                                             QuantType, c10::Half*);

}  // namespace detail
}  // namespace socrates::quant
