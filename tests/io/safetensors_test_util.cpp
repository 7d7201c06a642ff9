#include "safetensors_test_util.hpp"

#include <ATen/ops/arange.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "io/safetensors_dtype.hpp"
#include "socrates/error.hpp"

namespace sttest {

TempDir::TempDir() {
  std::random_device rd;
  path_ = fs::temp_directory_path() /
          ("socrates-st-" + std::to_string(::getpid()) + "-" + std::to_string(rd()) + std::to_string(rd()));
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::vector<std::string> TempDir::entries() const {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(path_)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

std::string raw_safetensors(const std::string& header, const std::string& data, std::optional<std::uint64_t> header_length) {
  const std::uint64_t n = header_length.value_or(header.size());
  std::string out(8, '\0');
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

std::string bytes_of(const at::Tensor& t) {
  const at::Tensor c = t.to(c10::kCPU).resolve_conj().resolve_neg().contiguous();
  return std::string(static_cast<const char*>(c.const_data_ptr()), c.numel() * c.element_size());
}

at::Tensor pattern(c10::ScalarType dtype, const std::vector<std::int64_t>& shape) {
  std::int64_t numel = 1;
  for (const auto d : shape) numel *= d;
  if (dtype == c10::kBool) return at::arange(numel, at::kLong).remainder(3).eq(0).reshape(shape);
  const std::int64_t nbytes = numel * static_cast<std::int64_t>(c10::elementSize(dtype));
  return at::arange(nbytes, at::kLong).mul(37).add(11).remainder(256).to(at::kByte).view(dtype).reshape(shape);
}

std::vector<c10::ScalarType> supported_dtypes() {
  std::vector<c10::ScalarType> out;
  std::stringstream names(socrates::supported_safetensors_dtypes());
  for (std::string name; std::getline(names >> std::ws, name, ',');)
    out.push_back(*socrates::find_safetensors_dtype(name)->scalar_type);
  return out;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const socrates::Error& e) {
    return e.what();
  }
  return "";
}

std::vector<fs::path> safetensors_files_under(const fs::path& dir) {
  std::vector<fs::path> out;
  if (!fs::is_directory(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".safetensors") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace sttest
