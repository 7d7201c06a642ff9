// A tiny GGUF writer for tests: metadata of every type, tensors as raw bytes in any ggml
// type, v2 or v3, any alignment, and hooks to write broken files (bad offsets, ...).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace socrates::testing {

/// An encoded metadata value: its GGUF type and the bytes that follow the type.
struct GgufValue {
  std::uint32_t type;
  std::string payload;
};

GgufValue gguf_u8(std::uint8_t v);
GgufValue gguf_i8(std::int8_t v);
GgufValue gguf_u16(std::uint16_t v);
GgufValue gguf_i16(std::int16_t v);
GgufValue gguf_u32(std::uint32_t v);
GgufValue gguf_i32(std::int32_t v);
GgufValue gguf_u64(std::uint64_t v);
GgufValue gguf_i64(std::int64_t v);
GgufValue gguf_f32(float v);
GgufValue gguf_f64(double v);
GgufValue gguf_bool(bool v);
GgufValue gguf_str(const std::string& v);
/// An array; every element must have `element_type`.
GgufValue gguf_array(std::uint32_t element_type, const std::vector<GgufValue>& items);
GgufValue gguf_strings(const std::vector<std::string>& items);
GgufValue gguf_i32s(const std::vector<std::int32_t>& items);

class GgufWriter {
 public:
  std::uint32_t version = 3;
  std::uint64_t alignment = 32;  // the layout; add general.alignment yourself when it is not 32

  void add(const std::string& key, GgufValue v) { kv_.push_back({key, std::move(v)}); }
  /// Replaces the value of `key` where it is (adds it when absent).
  void set(const std::string& key, GgufValue v);
  void remove(const std::string& key);
  void remove_tensor(const std::string& name);
  /// A tensor: `dims` in GGUF order (dims[0] varies fastest), `data` its bytes in ggml type
  /// `type`. `offset` overrides the offset written (to break files).
  void add_tensor(const std::string& name, std::vector<std::uint64_t> dims, std::uint32_t type, std::string data,
                  std::optional<std::uint64_t> offset = std::nullopt);
  /// A float32 tensor from values in row-major PyTorch order of `shape` (GGUF dims reversed).
  void add_f32(const std::string& name, const std::vector<std::int64_t>& shape, const std::vector<float>& values);

  std::string bytes() const;
  void write(const std::filesystem::path& path) const;
  static void write_bytes(const std::filesystem::path& path, const std::string& bytes);

 private:
  struct Tensor {
    std::string name;
    std::vector<std::uint64_t> dims;
    std::uint32_t type;
    std::string data;
    std::optional<std::uint64_t> offset;
  };
  std::vector<std::pair<std::string, GgufValue>> kv_;
  std::vector<Tensor> tensors_;
};

/// IEEE half-precision bits of `v` (round to nearest even), for building quantised blocks.
std::uint16_t fp16_bits(float v);

}  // namespace socrates::testing
