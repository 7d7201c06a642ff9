// Helpers shared by the safetensors tests.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/ScalarType.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sttest {

namespace fs = std::filesystem;

/// A fresh folder under the system temp folder, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const fs::path& path() const { return path_; }
  fs::path operator/(const std::string& name) const { return path_ / name; }
  /// The names of the entries in the folder, sorted.
  std::vector<std::string> entries() const;

 private:
  fs::path path_;
};

std::string read_bytes(const fs::path& path);
void write_bytes(const fs::path& path, const std::string& bytes);

/// A safetensors file by hand: the 8-byte length (the header's own unless given), the
/// header text as is, then `data`.
std::string raw_safetensors(const std::string& header, const std::string& data = "",
                            std::optional<std::uint64_t> header_length = std::nullopt);

/// The bytes of a tensor, row-major (as a safetensors file holds them).
std::string bytes_of(const at::Tensor& t);

/// The test pattern (as tests/io/data/make_python_golden.py): byte i is (37 i + 11) % 256;
/// for bool, element i is i % 3 == 0.
at::Tensor pattern(c10::ScalarType dtype, const std::vector<std::int64_t>& shape);

/// Every dtype safetensors can store in this build.
std::vector<c10::ScalarType> supported_dtypes();

/// The message of the socrates::Error that `f` throws; "" if it throws none.
std::string error_of(const std::function<void()>& f);

/// Every *.safetensors file under `dir` (recursively), sorted; none if `dir` is missing.
std::vector<fs::path> safetensors_files_under(const fs::path& dir);

}  // namespace sttest
