#include "io/tensor_info.hpp"

#include "io/safetensors_dtype.hpp"

namespace socrates {

std::int64_t TensorInfo::numel() const {
  std::int64_t n = 1;
  for (const auto d : shape) n *= d;  // validated on open: cannot overflow
  return n;
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + "]";
}

std::string dtype_string(c10::ScalarType dtype) {
  if (const SafetensorsDtype* d = find_safetensors_dtype(dtype)) return std::string(d->name);
  return c10::toString(dtype);
}

}  // namespace socrates
