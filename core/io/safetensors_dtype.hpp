// The safetensors dtype names ("F32", "BF16", ...) and the LibTorch scalar types they map to.
#pragma once

#include <c10/core/ScalarType.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace socrates {

/// One dtype of the safetensors format.
struct SafetensorsDtype {
  std::string_view name;                       ///< as in the header: "F32", "BF16", ...
  std::optional<c10::ScalarType> scalar_type;  ///< nullopt: this LibTorch has no such type
  std::size_t bits = 0;                        ///< bits per element, per the format
  int write_rank = 0;  ///< the Python package writes tensors of higher rank first (then by name)
};

/// The dtype a header names; nullptr if the format has no such dtype.
const SafetensorsDtype* find_safetensors_dtype(std::string_view name);

/// The dtype that stores `type`; nullptr if the format cannot store it.
const SafetensorsDtype* find_safetensors_dtype(c10::ScalarType type);

/// "F64, F32, ...": every dtype this build can read and write.
std::string supported_safetensors_dtypes();

}  // namespace socrates
