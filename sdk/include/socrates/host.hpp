// Services the host offers plugins, so they need not link the host library.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "socrates/abi.hpp"
#include "socrates/tensor.hpp"

namespace socrates {

/// One file of a checkpoint, as its manifest.json lists it.
struct ManifestEntry {
  std::string path;  // relative to the checkpoint folder, '/'-separated
  std::uint64_t size = 0;
  std::string sha256;  // lowercase hex
};

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

  /// SHA-256 of `data` / of a file's bytes, as lowercase hex. sha256_file throws
  /// socrates::Error naming the file if it cannot be read.
  virtual std::string sha256(std::string_view data) const = 0;
  virtual std::string sha256_file(const std::filesystem::path& file) const = 0;

  /// The files listed in `dir`/manifest.json (see docs/checkpoints.md). Throws
  /// socrates::Error naming the manifest if it is missing or malformed.
  virtual std::vector<ManifestEntry> read_manifest(const std::filesystem::path& dir) const = 0;
  /// "" when `dir` is a complete checkpoint: manifest.json parses and every file it lists
  /// exists with its size and sha256. Otherwise the first problem found, naming the file.
  virtual std::string verify_checkpoint(const std::filesystem::path& dir) const = 0;
};

}  // namespace socrates
