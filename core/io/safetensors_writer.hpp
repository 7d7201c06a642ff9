// Writing .safetensors files, byte for byte as the Python safetensors package does.
#pragma once

#include <ATen/core/Tensor.h>

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace socrates {

/// Writes `tensors` (any device, dtype safetensors can store, any strides) and `metadata`
/// to `path` in the layout of the Python safetensors package (0.7.0): a compact JSON header
/// with "__metadata__" first (left out when `metadata` is empty, as with metadata=None),
/// then the tensors ordered as it orders them (wider dtypes first: U64, I64, F64, C64, F32,
/// U32, I32, BF16, F16, ..., BOOL; by name within a dtype), keys dtype/shape/data_offsets,
/// padded with spaces to a multiple of 8 bytes; then the data, each tensor contiguous and
/// little-endian. Same tensors and metadata, same bytes (Python orders several metadata
/// keys at random; here they are sorted). Tied tensors are written as separate copies.
///
/// Copies one tensor at a time to the CPU. Atomic: a temporary file, fsync, rename (see
/// AtomicFile). Throws socrates::Error naming the file (and the tensor at fault): duplicate
/// or reserved names, unsupported dtypes, a full disk or a file-size limit, ...
void save_safetensors(const std::filesystem::path& path,
                      const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace socrates
