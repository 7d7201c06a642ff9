#include "gguf_writer.hpp"

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace socrates::testing {

namespace {

template <typename T>
std::string raw(T v) {
  std::string s(sizeof(T), '\0');
  std::memcpy(s.data(), &v, sizeof(T));
  return s;
}

std::string gguf_string(const std::string& s) { return raw<std::uint64_t>(s.size()) + s; }

}  // namespace

GgufValue gguf_u8(std::uint8_t v) { return {0, raw(v)}; }
GgufValue gguf_i8(std::int8_t v) { return {1, raw(v)}; }
GgufValue gguf_u16(std::uint16_t v) { return {2, raw(v)}; }
GgufValue gguf_i16(std::int16_t v) { return {3, raw(v)}; }
GgufValue gguf_u32(std::uint32_t v) { return {4, raw(v)}; }
GgufValue gguf_i32(std::int32_t v) { return {5, raw(v)}; }
GgufValue gguf_f32(float v) { return {6, raw(v)}; }
GgufValue gguf_bool(bool v) { return {7, raw<std::uint8_t>(v ? 1 : 0)}; }
GgufValue gguf_str(const std::string& v) { return {8, gguf_string(v)}; }
GgufValue gguf_u64(std::uint64_t v) { return {10, raw(v)}; }
GgufValue gguf_i64(std::int64_t v) { return {11, raw(v)}; }
GgufValue gguf_f64(double v) { return {12, raw(v)}; }

GgufValue gguf_array(std::uint32_t element_type, const std::vector<GgufValue>& items) {
  std::string p = raw(element_type) + raw<std::uint64_t>(items.size());
  for (const GgufValue& v : items) {
    if (v.type != element_type) throw std::invalid_argument("gguf_array: mixed element types");
    p += v.payload;
  }
  return {9, p};
}

GgufValue gguf_strings(const std::vector<std::string>& items) {
  std::vector<GgufValue> v;
  for (const auto& s : items) v.push_back(gguf_str(s));
  return gguf_array(8, v);
}

GgufValue gguf_i32s(const std::vector<std::int32_t>& items) {
  std::vector<GgufValue> v;
  for (auto i : items) v.push_back(gguf_i32(i));
  return gguf_array(5, v);
}

void GgufWriter::set(const std::string& key, GgufValue v) {
  for (auto& [k, old] : kv_)
    if (k == key) {
      old = std::move(v);
      return;
    }
  add(key, std::move(v));
}

void GgufWriter::remove(const std::string& key) {
  std::erase_if(kv_, [&](const auto& kv) { return kv.first == key; });
}

void GgufWriter::remove_tensor(const std::string& name) {
  std::erase_if(tensors_, [&](const Tensor& t) { return t.name == name; });
}

void GgufWriter::add_tensor(const std::string& name, std::vector<std::uint64_t> dims, std::uint32_t type,
                            std::string data, std::optional<std::uint64_t> offset) {
  tensors_.push_back({name, std::move(dims), type, std::move(data), offset});
}

void GgufWriter::add_f32(const std::string& name, const std::vector<std::int64_t>& shape,
                         const std::vector<float>& values) {
  std::vector<std::uint64_t> dims(shape.rbegin(), shape.rend());
  std::string data(values.size() * 4, '\0');
  std::memcpy(data.data(), values.data(), data.size());
  add_tensor(name, std::move(dims), 0, std::move(data));
}

std::string GgufWriter::bytes() const {
  std::string out = "GGUF" + raw(version) + raw<std::uint64_t>(tensors_.size()) + raw<std::uint64_t>(kv_.size());
  for (const auto& [key, v] : kv_) out += gguf_string(key) + raw(v.type) + v.payload;
  std::vector<std::uint64_t> offsets;
  std::uint64_t next = 0;
  for (const Tensor& t : tensors_) {
    offsets.push_back(next);
    next += (t.data.size() + alignment - 1) / alignment * alignment;
  }
  for (std::size_t i = 0; i < tensors_.size(); ++i) {
    const Tensor& t = tensors_[i];
    out += gguf_string(t.name) + raw<std::uint32_t>(t.dims.size());
    for (auto d : t.dims) out += raw(d);
    out += raw(t.type) + raw(t.offset.value_or(offsets[i]));
  }
  out.resize((out.size() + alignment - 1) / alignment * alignment, '\0');
  for (const Tensor& t : tensors_) {
    out += t.data;
    out.resize((out.size() + alignment - 1) / alignment * alignment, '\0');
  }
  return out;
}

void GgufWriter::write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + path.string());
}

void GgufWriter::write(const std::filesystem::path& path) const { write_bytes(path, bytes()); }

std::uint16_t fp16_bits(float v) {
  // Exact for the values the tests use (normal halves); round to nearest even otherwise.
  std::uint32_t x;
  std::memcpy(&x, &v, 4);
  const std::uint32_t sign = (x >> 16) & 0x8000;
  const int exp = static_cast<int>((x >> 23) & 0xFF) - 127 + 15;
  std::uint32_t mant = x & 0x7FFFFF;
  if (v == 0.0f) return static_cast<std::uint16_t>(sign);
  if (exp <= 0 || exp >= 31) throw std::invalid_argument("fp16_bits: value out of the normal half range");
  std::uint32_t h = sign | (static_cast<std::uint32_t>(exp) << 10) | (mant >> 13);
  const std::uint32_t rest = mant & 0x1FFF;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1))) ++h;
  return static_cast<std::uint16_t>(h);
}

}  // namespace socrates::testing
