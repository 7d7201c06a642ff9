// The weights of a Hugging Face model folder: one model.safetensors, or shards listed in
// model.safetensors.index.json.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/safetensors_file.hpp"

namespace socrates {

/// Every tensor of a model, wherever it is stored. Opens (maps) and validates every shard
/// up front; nothing is read from the data sections until a tensor is loaded.
class SafetensorsModel {
 public:
  static constexpr const char* kIndexFile = "model.safetensors.index.json";
  static constexpr const char* kSingleFile = "model.safetensors";

  /// `path` is a model folder (with model.safetensors.index.json, else model.safetensors),
  /// an index file, or a single .safetensors file. Throws socrates::Error naming the folder,
  /// index, shard or tensor at fault and saying what to do: a shard missing, the index
  /// naming a tensor that its shard lacks, a corrupt file, ...
  static SafetensorsModel open(const std::filesystem::path& path);

  /// The folder or file that was opened.
  const std::filesystem::path& path() const { return path_; }
  /// The index file; nullopt for a single file.
  const std::optional<std::filesystem::path>& index() const { return index_; }
  /// The shards (one for a single file), sorted by path.
  const std::vector<SafetensorsFile>& files() const { return files_; }

  /// Tensor names, sorted.
  std::vector<std::string> names() const;
  std::size_t size() const { return where_.size(); }
  bool has(std::string_view name) const { return where_.find(name) != where_.end(); }
  /// Throws socrates::Error naming the model and a few close names if there is no such tensor.
  const TensorInfo& info(std::string_view name) const;
  /// The file that holds `name`.
  const SafetensorsFile& file_of(std::string_view name) const;
  const std::filesystem::path& shard_of(std::string_view name) const { return file_of(name).path(); }

  /// See SafetensorsFile::view (zero-copy, read-only) and SafetensorsFile::load.
  at::Tensor view(std::string_view name) const;
  at::Tensor load(std::string_view name, c10::Device device = c10::kCPU,
                  std::optional<c10::ScalarType> dtype = std::nullopt) const;

 private:
  SafetensorsModel() = default;
  static SafetensorsModel open_single(const std::filesystem::path& file);
  static SafetensorsModel open_index(const std::filesystem::path& index);

  std::filesystem::path path_;
  std::optional<std::filesystem::path> index_;
  std::vector<SafetensorsFile> files_;
  std::map<std::string, std::size_t, std::less<>> where_;  // name -> files_ index
};

}  // namespace socrates
