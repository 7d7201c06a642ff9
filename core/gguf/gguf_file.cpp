#include "gguf/gguf_file.hpp"

#include <cstring>

#include "io/mapped_file.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates::gguf {

namespace {

constexpr int kMaxArrayDepth = 8;  // nested arrays deeper than this are corrupt, not data

const char* const kRefetch = "; the file is truncated or corrupt: download it again (compare its sha256 with the source's)";

}  // namespace

/// Reads the header of a mapped GGUF file into a GgufFile, checking every length against
/// the bytes that are left.
class HeaderParser {
 public:
  HeaderParser(GgufFile& f, const std::byte* data, std::uint64_t size) : f_(f), data_(data), size_(size) {}

  void parse() {
    if (size_ < 4 || std::memcmp(data_, "GGUF", 4) != 0) {
      f_.fail("not a GGUF file (it does not start with the magic bytes \"GGUF\"); pass a llama.cpp .gguf model file");
    }
    pos_ = 4;
    const auto version = read<std::uint32_t>("the version");
    if (version != 2 && version != 3) {
      const std::uint32_t swapped = __builtin_bswap32(version);
      if (swapped == 2 || swapped == 3)
        f_.fail("a big-endian GGUF file (version " + std::to_string(swapped) +
                "); Socrates reads little-endian GGUF only: convert the model again on a little-endian machine");
      if (version == 1)
        f_.fail("GGUF version 1 is not supported (versions 2 and 3 are); convert the model again with a current "
                "llama.cpp (convert_hf_to_gguf.py)");
      f_.fail("unsupported GGUF version " + std::to_string(version) + " (versions 2 and 3 are supported)");
    }
    f_.version_ = version;
    const auto n_tensors = read<std::uint64_t>("the tensor count");
    const auto n_kv = read<std::uint64_t>("the metadata count");
    // Each entry needs at least a few bytes: a count larger than the file is corruption.
    if (n_kv > remaining() / 12) too_many("metadata entries", n_kv);
    for (std::uint64_t i = 0; i < n_kv; ++i) {
      std::string key = read_string("metadata key #" + std::to_string(i));
      const auto type = read<std::uint32_t>("the type of metadata '" + key + "'");
      Value v = read_value(type, key, 0);
      if (f_.metadata_index_.count(key)) f_.fail("metadata key '" + key + "' appears twice" + kRefetch);
      f_.metadata_index_.emplace(key, f_.metadata_.size());
      f_.metadata_.emplace_back(std::move(key), std::move(v));
    }
    if (const Value* a = f_.find("general.alignment")) {
      const auto n = a->to_int();
      if (!a->is_integer() || !n || *n <= 0 || (*n & (*n - 1)) != 0)
        f_.fail("general.alignment must be a positive power of two, got " + a->describe() + kRefetch);
      f_.alignment_ = static_cast<std::uint64_t>(*n);
    }
    if (n_tensors > remaining() / 24) too_many("tensor infos", n_tensors);
    for (std::uint64_t i = 0; i < n_tensors; ++i) read_tensor_info(i);
    f_.data_offset_ = (pos_ + f_.alignment_ - 1) / f_.alignment_ * f_.alignment_;
    check_tensor_bounds();
  }

 private:
  std::uint64_t remaining() const { return size_ - pos_; }

  [[noreturn]] void truncated(const std::string& what) {
    f_.fail("ends at byte " + std::to_string(size_) + " while reading " + what + " (at byte " + std::to_string(pos_) +
            ")" + kRefetch);
  }
  [[noreturn]] void too_many(const std::string& what, std::uint64_t n) {
    f_.fail("claims " + std::to_string(n) + " " + what + " at byte " + std::to_string(pos_) + ", more than the " +
            std::to_string(remaining()) + " bytes left could hold" + kRefetch);
  }

  template <typename T>
  T read(const std::string& what) {
    if (remaining() < sizeof(T)) truncated(what);
    T v;
    std::memcpy(&v, data_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  std::string read_string(const std::string& what) {
    const auto n = read<std::uint64_t>(what);
    if (n > remaining()) truncated(what + " (a string of " + std::to_string(n) + " bytes)");
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }

  Value read_value(std::uint32_t type, const std::string& key, int depth) {
    const std::string what = "metadata '" + key + "'";
    switch (static_cast<ValueType>(type)) {
      case ValueType::UInt8: return {type, std::uint64_t{read<std::uint8_t>(what)}};
      case ValueType::Int8: return {type, std::int64_t{read<std::int8_t>(what)}};
      case ValueType::UInt16: return {type, std::uint64_t{read<std::uint16_t>(what)}};
      case ValueType::Int16: return {type, std::int64_t{read<std::int16_t>(what)}};
      case ValueType::UInt32: return {type, std::uint64_t{read<std::uint32_t>(what)}};
      case ValueType::Int32: return {type, std::int64_t{read<std::int32_t>(what)}};
      case ValueType::UInt64: return {type, std::uint64_t{read<std::uint64_t>(what)}};
      case ValueType::Int64: return {type, std::int64_t{read<std::int64_t>(what)}};
      case ValueType::Float32: return {type, double{read<float>(what)}};
      case ValueType::Float64: return {type, read<double>(what)};
      case ValueType::Bool: {
        const auto b = read<std::uint8_t>(what);
        if (b > 1) f_.fail(what + " is a bool stored as " + std::to_string(b) + " (must be 0 or 1)" + kRefetch);
        return {type, b == 1};
      }
      case ValueType::String: return {type, read_string(what)};
      case ValueType::Array: {
        if (depth >= kMaxArrayDepth) f_.fail(what + " nests arrays more than " + std::to_string(kMaxArrayDepth) + " deep" + kRefetch);
        auto arr = std::make_shared<Array>();
        arr->element_type = read<std::uint32_t>(what + " (array element type)");
        const auto n = read<std::uint64_t>(what + " (array length)");
        if (n > remaining() / min_size(arr->element_type, what)) too_many("values in " + what, n);
        arr->items.reserve(n);
        for (std::uint64_t i = 0; i < n; ++i) arr->items.push_back(read_value(arr->element_type, key, depth + 1));
        return {type, std::shared_ptr<const Array>(std::move(arr))};
      }
    }
    f_.fail(what + " has unknown value type " + std::to_string(type) +
            " (GGUF defines 0-12); the file is corrupt or from a newer GGUF version");
  }

  // The fewest bytes one array element of `type` takes (to bound a claimed length).
  std::uint64_t min_size(std::uint32_t type, const std::string& what) {
    switch (static_cast<ValueType>(type)) {
      case ValueType::UInt8: case ValueType::Int8: case ValueType::Bool: return 1;
      case ValueType::UInt16: case ValueType::Int16: return 2;
      case ValueType::UInt32: case ValueType::Int32: case ValueType::Float32: return 4;
      case ValueType::UInt64: case ValueType::Int64: case ValueType::Float64: case ValueType::String: return 8;
      case ValueType::Array: return 12;
    }
    f_.fail(what + " is an array of unknown value type " + std::to_string(type) +
            " (GGUF defines 0-12); the file is corrupt or from a newer GGUF version");
  }

  void read_tensor_info(std::uint64_t i) {
    TensorInfo t;
    t.name = read_string("the name of tensor #" + std::to_string(i));
    const std::string what = "tensor info '" + t.name + "'";
    const auto n_dims = read<std::uint32_t>(what);
    if (n_dims == 0 || n_dims > 4) f_.fail(what + " has " + std::to_string(n_dims) + " dimensions (GGUF allows 1 to 4)" + kRefetch);
    std::uint64_t elements = 1;
    for (std::uint32_t d = 0; d < n_dims; ++d) {
      const auto n = read<std::uint64_t>(what);
      if (n == 0 || n > (std::uint64_t{1} << 40) || elements > (std::uint64_t{1} << 50) / n)
        f_.fail(what + " has an impossible dimension " + std::to_string(n) + kRefetch);
      elements *= n;
      t.dims.push_back(n);
    }
    t.type = read<std::uint32_t>(what);
    t.offset = read<std::uint64_t>(what);
    if (const auto layout = supported_layout(t.type)) {
      if (t.dims[0] % layout->block != 0)
        f_.fail("tensor '" + t.name + "' (" + tensor_type_name(t.type) + ") has rows of " + std::to_string(t.dims[0]) +
                " values, not a multiple of the block size " + std::to_string(layout->block) + kRefetch);
      t.nbytes = elements / layout->block * layout->bytes;
    }
    if (f_.tensor_index_.count(t.name)) f_.fail("tensor '" + t.name + "' appears twice" + kRefetch);
    f_.tensor_index_.emplace(t.name, f_.tensors_.size());
    f_.tensors_.push_back(std::move(t));
  }

  void check_tensor_bounds() {
    for (const TensorInfo& t : f_.tensors_) {
      if (t.offset % f_.alignment_ != 0)
        f_.fail("tensor '" + t.name + "' starts at data offset " + std::to_string(t.offset) +
                ", which is not a multiple of the alignment " + std::to_string(f_.alignment_) + kRefetch);
      const std::uint64_t start = f_.data_offset_ + t.offset;
      if (t.offset > size_ || start > size_ || t.nbytes > size_ - start)
        f_.fail("tensor '" + t.name + "' (" + std::to_string(t.nbytes) + " bytes at byte " + std::to_string(start) +
                ") lies past the end of the file (" + std::to_string(size_) + " bytes)" + kRefetch);
    }
  }

  GgufFile& f_;
  const std::byte* data_;
  std::uint64_t size_;
  std::uint64_t pos_ = 0;
};

std::vector<std::int64_t> TensorInfo::shape() const {
  return std::vector<std::int64_t>(dims.rbegin(), dims.rend());
}

std::uint64_t TensorInfo::elements() const {
  std::uint64_t n = 1;
  for (auto d : dims) n *= d;
  return n;
}

std::string TensorInfo::dims_string() const {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

GgufFile GgufFile::open(const fs::path& path) {
  GgufFile f;
  f.path_ = path;
  if (!fs::is_regular_file(path)) f.fail("no such file (pass the path of a .gguf model file)");
  f.map_ = MappedFile::open(path);
  HeaderParser(f, f.map_->data(), f.map_->size()).parse();
  return f;
}

std::uint64_t GgufFile::file_size() const { return map_->size(); }

void GgufFile::fail(const std::string& what) const { throw Error(path_.string() + ": " + what); }

const Value* GgufFile::find(const std::string& key) const {
  const auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

const TensorInfo* GgufFile::tensor(const std::string& name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const std::byte* GgufFile::tensor_data(const TensorInfo& t) const { return map_->data() + data_offset_ + t.offset; }

std::optional<std::string> GgufFile::get_string_or(const std::string& key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  if (!v->to_string()) fail("metadata '" + key + "' must be a string, got " + value_type_name(v->type()));
  return *v->to_string();
}

std::string GgufFile::get_string(const std::string& key) const {
  auto s = get_string_or(key);
  if (!s) fail("metadata '" + key + "' is missing");
  return *s;
}

std::optional<std::int64_t> GgufFile::get_int_or(const std::string& key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  const auto n = v->to_int();
  if (!n) fail("metadata '" + key + "' must be an integer, got " + value_type_name(v->type()) + " " + v->describe());
  return n;
}

std::int64_t GgufFile::get_int(const std::string& key) const {
  auto n = get_int_or(key);
  if (!n) fail("metadata '" + key + "' is missing");
  return *n;
}

std::optional<double> GgufFile::get_number_or(const std::string& key) const {
  const Value* v = find(key);
  if (!v) return std::nullopt;
  const auto d = v->to_double();
  if (!d) fail("metadata '" + key + "' must be a number, got " + value_type_name(v->type()) + " " + v->describe());
  return d;
}

double GgufFile::get_number(const std::string& key) const {
  auto d = get_number_or(key);
  if (!d) fail("metadata '" + key + "' is missing");
  return *d;
}

bool GgufFile::get_bool_or(const std::string& key, bool fallback) const {
  const Value* v = find(key);
  if (!v) return fallback;
  if (!v->to_bool()) fail("metadata '" + key + "' must be a bool, got " + value_type_name(v->type()) + " " + v->describe());
  return *v->to_bool();
}

const Array* GgufFile::get_array_or(const std::string& key, ValueType element_type) const {
  const Value* v = find(key);
  if (!v) return nullptr;
  const Array* a = v->to_array();
  if (!a) fail("metadata '" + key + "' must be an array, got " + value_type_name(v->type()) + " " + v->describe());
  if (a->element_type != static_cast<std::uint32_t>(element_type))
    fail("metadata '" + key + "' must be an array of " + value_type_name(static_cast<std::uint32_t>(element_type)) +
         ", got an array of " + value_type_name(a->element_type));
  return a;
}

}  // namespace socrates::gguf
