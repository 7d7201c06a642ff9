// What a safetensors header says about one tensor.
#pragma once

#include <c10/core/ScalarType.h>

#include <cstdint>
#include <string>
#include <vector>

namespace socrates {

/// One tensor of a safetensors file: its type, shape and bytes.
struct TensorInfo {
  c10::ScalarType dtype = c10::ScalarType::Undefined;
  std::vector<std::int64_t> shape;
  std::uint64_t begin = 0;  ///< data_offsets[0], counted from the start of the data section
  std::uint64_t end = 0;    ///< data_offsets[1] (one past the last byte)

  std::uint64_t nbytes() const { return end - begin; }
  std::int64_t numel() const;
};

/// "[2, 3]" ("[]" for a 0-d tensor).
std::string shape_string(const std::vector<std::int64_t>& shape);

/// "F32", "BF16", ... (LibTorch's own name for a type safetensors cannot store).
std::string dtype_string(c10::ScalarType dtype);

}  // namespace socrates
