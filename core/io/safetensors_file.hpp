// One .safetensors file: memory-mapped, its header validated on open, tensors on demand.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/tensor_info.hpp"

namespace socrates {

class MappedFile;

/// A safetensors file (https://github.com/huggingface/safetensors), mapped read-only into
/// memory. open() checks the whole header up front (lengths, JSON, dtypes, shapes against
/// byte ranges, ranges inside the file and not overlapping), so any tensor can be used
/// afterwards. Nothing is read from the data section until a tensor is viewed or loaded.
/// Cheap to copy: copies share the mapping.
class SafetensorsFile {
 public:
  /// Maps and validates `path`. Throws socrates::Error naming the file (and the tensor, where
  /// one is at fault) and saying what to do.
  static SafetensorsFile open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  /// Tensor names, sorted.
  std::vector<std::string> names() const;
  std::size_t size() const { return tensors_.size(); }
  bool has(std::string_view name) const { return tensors_.find(name) != tensors_.end(); }
  /// Throws socrates::Error naming the file and a few close names if there is no such tensor.
  const TensorInfo& info(std::string_view name) const;
  /// The "__metadata__" map ({"format": "pt"} from transformers and PEFT); empty if none.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// Where the data section starts in the file (8 + the header's length).
  std::uint64_t data_start() const { return data_start_; }

  /// The tensor as a CPU tensor over the mapping itself: no copy, no read until used. It
  /// keeps the mapping alive. READ-ONLY: writing into it (in-place ops) crashes the process.
  /// (Empty tensors, and data not aligned to its element size, come as a private copy.)
  at::Tensor view(std::string_view name) const;

  /// A tensor of its own on `device`, converted to `dtype` if one is given. Copies this one
  /// tensor only, straight from the mapping to the device (no second copy of the file).
  at::Tensor load(std::string_view name, c10::Device device = c10::kCPU,
                  std::optional<c10::ScalarType> dtype = std::nullopt) const;

 private:
  SafetensorsFile() = default;

  std::filesystem::path path_;
  std::shared_ptr<const MappedFile> map_;
  std::uint64_t data_start_ = 0;
  std::map<std::string, TensorInfo, std::less<>> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace socrates
