// Dequantising GGUF tensors (F32, F16, BF16, Q8_0, Q4_0, Q4_1) to float32, exactly as
// ggml's dequantize_row_* functions do.
#pragma once

#include <cstddef>
#include <cstdint>

#include <ATen/core/Tensor.h>

#include "gguf/gguf_file.hpp"

namespace socrates::gguf {

/// Writes `n` float32 values decoded from `src` (a tensor of ggml type `type`). `n` must be
/// a multiple of the type's block size and `type` one supported_layout() knows; throws
/// std::invalid_argument otherwise.
void dequantize_row(std::uint32_t type, const std::byte* src, float* dst, std::uint64_t n);

/// The tensor `t` of `file` as a float32 CPU tensor of shape t.shape(). Throws
/// socrates::Error naming the file and tensor for a type it cannot dequantise.
at::Tensor dequantize(const GgufFile& file, const TensorInfo& t);

}  // namespace socrates::gguf
