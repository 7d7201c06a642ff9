// A GGUF file (llama.cpp's model format), memory-mapped and validated: the header, every
// metadata value, the tensor infos and where each tensor's bytes lie.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gguf/gguf_value.hpp"

namespace socrates {
class MappedFile;
}

namespace socrates::gguf {

struct TensorInfo {
  std::string name;
  std::vector<std::uint64_t> dims;  // GGUF order: dims[0] varies fastest (ggml's ne[0])
  std::uint32_t type = 0;           // a TensorType
  std::uint64_t offset = 0;         // from the start of the data section
  std::uint64_t nbytes = 0;         // for a supported type; 0 for any other

  /// The PyTorch shape: the dims reversed (rows of a [out, in] weight are dims[1]).
  std::vector<std::int64_t> shape() const;
  std::uint64_t elements() const;
  /// "[576, 49152]": the dims in GGUF order, for messages.
  std::string dims_string() const;
};

class GgufFile {
 public:
  /// Maps and parses `path`. Throws socrates::Error naming the file and saying what to do
  /// for a file that is not GGUF, a version other than 2 or 3, a big-endian file, a
  /// truncated header or data section, an unknown metadata type, a bad alignment, tensor
  /// offsets that are unaligned or past the end of the file, duplicate names, ...
  static GgufFile open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  std::uint32_t version() const { return version_; }
  std::uint64_t alignment() const { return alignment_; }
  std::uint64_t data_offset() const { return data_offset_; }
  std::uint64_t file_size() const;

  /// Metadata in file order.
  const std::vector<std::pair<std::string, Value>>& metadata() const { return metadata_; }
  const Value* find(const std::string& key) const;

  // Typed metadata. Missing or wrongly typed keys throw socrates::Error naming the file
  // and key; the *_or forms return the fallback when the key is absent.
  std::string get_string(const std::string& key) const;
  std::optional<std::string> get_string_or(const std::string& key) const;
  std::int64_t get_int(const std::string& key) const;
  std::optional<std::int64_t> get_int_or(const std::string& key) const;
  double get_number(const std::string& key) const;
  std::optional<double> get_number_or(const std::string& key) const;
  bool get_bool_or(const std::string& key, bool fallback) const;
  /// An array whose elements all have `element_type`; nullptr when the key is absent.
  const Array* get_array_or(const std::string& key, ValueType element_type) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* tensor(const std::string& name) const;
  /// The first byte of a tensor (bounds were checked by open() for supported types).
  const std::byte* tensor_data(const TensorInfo& t) const;

  /// Throws socrates::Error("<file>: <what>").
  [[noreturn]] void fail(const std::string& what) const;

 private:
  std::filesystem::path path_;
  std::shared_ptr<const MappedFile> map_;
  std::uint32_t version_ = 0;
  std::uint64_t alignment_ = 32;
  std::uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, Value>> metadata_;
  std::map<std::string, std::size_t> metadata_index_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::size_t> tensor_index_;

  friend class HeaderParser;
};

}  // namespace socrates::gguf
