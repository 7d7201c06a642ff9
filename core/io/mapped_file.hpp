// A whole file mapped read-only into memory (mmap, MAP_PRIVATE, PROT_READ).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>

namespace socrates {

/// A read-only memory mapping of a whole file, unmapped when the last owner lets go.
/// Share it through the shared_ptr that open() returns: tensors made over the mapping
/// hold a copy of it. Pages are read from disk on first access; nothing is read up front.
/// The bytes must not be written (the mapping is read-only: a write crashes the process).
class MappedFile {
 public:
  /// What to tell the kernel about a range (madvise); only ever a hint.
  enum class Advice { Normal, Sequential, Random, WillNeed, DontNeed };

  /// Maps all of `path`. Throws socrates::Error naming the file when it cannot be
  /// opened, is not a regular file, or cannot be mapped.
  static std::shared_ptr<const MappedFile> open(const std::filesystem::path& path);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// The first byte (nullptr for an empty file).
  const std::byte* data() const { return data_; }
  std::uint64_t size() const { return size_; }

  /// madvise over [offset, offset + length), widened to whole pages and clipped to the
  /// file. Errors are ignored: advice never changes what the bytes read.
  void advise(std::uint64_t offset, std::uint64_t length, Advice advice) const;

 private:
  MappedFile(std::filesystem::path path, const std::byte* data, std::uint64_t size);

  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  std::uint64_t size_ = 0;
};

}  // namespace socrates
