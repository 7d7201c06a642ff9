// Parsing and validating the JSON header of a safetensors file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "io/tensor_info.hpp"

namespace socrates {

/// The checked contents of a safetensors header.
struct SafetensorsHeader {
  std::map<std::string, TensorInfo, std::less<>> tensors;
  std::map<std::string, std::string> metadata;
  std::uint64_t data_start = 0;  ///< 8 + the header's length
};

/// The longest header accepted (as in the Python package).
inline constexpr std::uint64_t kMaxSafetensorsHeader = 100'000'000;

/// Parses the header of a file of `file_size` bytes whose first bytes are `head` (at least
/// min(file_size, 8 + header length) of them). Checks everything that open() promises; the
/// socrates::Error it throws names `path` and the tensor at fault and says what to do.
SafetensorsHeader parse_safetensors_header(const std::filesystem::path& path, const std::byte* head,
                                           std::uint64_t file_size);

}  // namespace socrates
