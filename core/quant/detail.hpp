// Internal: the CPU reference kernels and the CUDA entry points behind nf4.hpp.
#pragma once

#include <cstdint>
#include <utility>

#include <ATen/core/Tensor.h>

#include "quant/nf4.hpp"

namespace socrates::quant::detail {

// CPU reference. `x` holds n values of T (float, c10::BFloat16, c10::Half).
template <class T>
void cpu_quantize_4bit(const T* x, std::int64_t n, std::int64_t blocksize, QuantType type, std::uint8_t* packed,
                       float* absmax);
template <class T>
void cpu_dequantize_4bit(const std::uint8_t* packed, const float* absmax, std::int64_t n, std::int64_t blocksize,
                         QuantType type, T* out);
/// Blockwise 8-bit: codes of (x[i] - offset) in blocks of `blocksize`.
void cpu_quantize_8bit(const float* x, std::int64_t n, float offset, const float* code256, std::int64_t blocksize,
                       std::uint8_t* out, float* absmax);

/// The dequantisation table (signed values as bitsandbytes' CUDA dequantisation uses them).
const float* dequant_table(QuantType type);

#ifdef SOCRATES_QUANT_CUDA
// CUDA kernels (nf4_cuda.cu). Tensors are contiguous and on one CUDA device; outputs are
// preallocated. No host synchronisation.
void cuda_quantize_4bit(const at::Tensor& x, QuantType type, std::int64_t blocksize, at::Tensor& packed,
                        at::Tensor& absmax);
/// codes/absmax of (x - offset) (offset: a float32 scalar tensor, or undefined for 0).
void cuda_quantize_8bit(const at::Tensor& x, const at::Tensor& offset, const at::Tensor& code, std::int64_t blocksize,
                        at::Tensor& codes, at::Tensor& absmax);
/// Fused: nested absmax (code * nested_absmax + offset) and the 4-bit lookup, one launch.
void cuda_dequantize_4bit(const Nf4Tensor& q, at::Tensor& out);
/// The device's multiprocessor count and max threads per multiprocessor.
std::pair<int, int> cuda_device_shape(int device);
#endif

}  // namespace socrates::quant::detail
