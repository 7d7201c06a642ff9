// GGUF's enumerations: metadata value types and tensor (ggml) types, with their sizes.
// Reference: ggml/docs/gguf.md and ggml.h of llama.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace socrates::gguf {

/// Metadata value types (gguf_metadata_value_type).
enum class ValueType : std::uint32_t {
  UInt8 = 0, Int8 = 1, UInt16 = 2, Int16 = 3, UInt32 = 4, Int32 = 5, Float32 = 6, Bool = 7,
  String = 8, Array = 9, UInt64 = 10, Int64 = 11, Float64 = 12,
};

/// "uint32", "string", ...; "type N" for a value outside the enumeration.
std::string value_type_name(std::uint32_t type);

/// Tensor types (ggml_type). Only the ones named here are dequantised; the others are
/// recognised by number so that errors can name them.
enum class TensorType : std::uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
  I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30, TQ1_0 = 34, TQ2_0 = 35,
};

/// "F32", "Q4_1", ...; "type N" for an unknown number.
std::string tensor_type_name(std::uint32_t type);

/// Layout of a tensor type: `block` values are stored in `bytes` bytes.
struct BlockLayout {
  std::uint64_t block;
  std::uint64_t bytes;
};

/// The layout of a type Socrates can dequantise (F32, F16, BF16, Q8_0, Q4_0, Q4_1), or
/// nullopt for any other.
std::optional<BlockLayout> supported_layout(std::uint32_t type);

/// "F32, F16, BF16, Q8_0, Q4_0, Q4_1": for error messages.
const char* supported_tensor_types();

}  // namespace socrates::gguf
