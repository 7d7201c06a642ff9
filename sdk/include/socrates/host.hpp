// Services the host offers plugins, so they need not link the host library.
#pragma once

#include <filesystem>
#include <string>

#include "socrates/abi.hpp"
#include "socrates/tensor.hpp"

namespace socrates {

class SOCRATES_API HostServices {
 public:
  virtual ~HostServices() = default;
  /// Every tensor of a safetensors file, on the CPU, plus its "__metadata__". Validates the
  /// file first; throws socrates::Error naming the file and tensor on corruption.
  virtual StateDict load_tensors(const std::filesystem::path& file) const = 0;
  /// Writes `state` as safetensors (tensors sorted by name, metadata in "__metadata__"),
  /// atomically. Throws socrates::Error naming the file (full disk, ...); the old file survives.
  virtual void save_tensors(const std::filesystem::path& file, const StateDict& state) const = 0;
  /// Writes `text` atomically (temporary file, fsync, rename).
  virtual void write_text(const std::filesystem::path& file, const std::string& text) const = 0;
};

}  // namespace socrates
