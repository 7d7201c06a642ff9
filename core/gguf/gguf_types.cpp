#include "gguf/gguf_types.hpp"

namespace socrates::gguf {

std::string value_type_name(std::uint32_t type) {
  static const char* const names[] = {"uint8",  "int8",   "uint16", "int16",  "uint32", "int32",  "float32",
                                      "bool",   "string", "array",  "uint64", "int64",  "float64"};
  return type < std::size(names) ? names[type] : "type " + std::to_string(type);
}

std::string tensor_type_name(std::uint32_t type) {
  static const char* const names[] = {
      "F32",     "F16",    "Q4_0",    "Q4_1",  "type 4", "type 5", "Q5_0",  "Q5_1",  "Q8_0",   "Q8_1",
      "Q2_K",    "Q3_K",   "Q4_K",    "Q5_K",  "Q6_K",   "Q8_K",   "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",
      "IQ4_NL",  "IQ3_S",  "IQ2_S",   "IQ4_XS", "I8",    "I16",    "I32",   "I64",   "F64",    "IQ1_M",
      "BF16",    "type 31", "type 32", "type 33", "TQ1_0", "TQ2_0"};
  return type < std::size(names) ? names[type] : "type " + std::to_string(type);
}

std::optional<BlockLayout> supported_layout(std::uint32_t type) {
  switch (static_cast<TensorType>(type)) {
    case TensorType::F32: return BlockLayout{1, 4};
    case TensorType::F16: return BlockLayout{1, 2};
    case TensorType::BF16: return BlockLayout{1, 2};
    case TensorType::Q8_0: return BlockLayout{32, 2 + 32};      // fp16 d, int8 q[32]
    case TensorType::Q4_0: return BlockLayout{32, 2 + 16};      // fp16 d, 32 nibbles
    case TensorType::Q4_1: return BlockLayout{32, 2 + 2 + 16};  // fp16 d, fp16 m, 32 nibbles
    default: return std::nullopt;
  }
}

const char* supported_tensor_types() { return "F32, F16, BF16, Q8_0, Q4_0, Q4_1"; }

}  // namespace socrates::gguf
