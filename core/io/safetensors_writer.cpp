#include "io/safetensors_writer.hpp"

#include <c10/util/Exception.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <set>
#include <sstream>
#include <string_view>

#include <nlohmann/json.hpp>

#include "io/atomic_file.hpp"
#include "io/safetensors_dtype.hpp"
#include "socrates/error.hpp"

namespace socrates {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {

struct Entry {
  const std::string* name;
  const at::Tensor* tensor;
  const SafetensorsDtype* dtype;
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
};

// A JSON string as serde_json writes it: UTF-8 kept, control characters escaped.
std::string quote(const std::string& s, const std::string& where) {
  try {
    return nlohmann::json(s).dump();
  } catch (const nlohmann::json::type_error&) {
    throw Error(where + " is not valid UTF-8. Use UTF-8 names and metadata.");
  }
}

}  // namespace

void save_safetensors(const std::filesystem::path& path,
                      const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  const std::string at_path = "cannot write " + path.string() + ": ";
  std::vector<Entry> entries;
  std::set<std::string_view> seen;
  for (const auto& [name, tensor] : tensors) {
    const std::string what = at_path + "tensor '" + name + "'";
    if (name == "__metadata__")
      throw Error(what + " has a name reserved for the metadata. Rename the tensor.");
    if (!seen.insert(name).second) throw Error(what + " is given twice. Give every tensor its own name.");
    if (!tensor.defined()) throw Error(what + " is an undefined tensor. Pass a tensor with data.");
    if (tensor.layout() != c10::kStrided) {
      std::ostringstream layout;
      layout << tensor.layout();
      throw Error(what + " is not dense (layout " + layout.str() + "). Convert it with to_dense() first.");
    }
    const SafetensorsDtype* dtype = find_safetensors_dtype(tensor.scalar_type());
    if (dtype == nullptr)
      throw Error(what + " has dtype " + c10::toString(tensor.scalar_type()) +
                  ", which safetensors cannot store (it can: " + supported_safetensors_dtypes() + "). Convert it first.");
    entries.push_back({&name, &tensor, dtype});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.dtype->write_rank != b.dtype->write_rank ? a.dtype->write_rank > b.dtype->write_rank : *a.name < *b.name;
  });

  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      if (!first) header += ",";
      first = false;
      header += quote(key, at_path + "metadata key '" + key + "'") + ":" +
                quote(value, at_path + "the metadata value of '" + key + "'");
    }
    header += "}";
  }
  std::uint64_t offset = 0;
  for (auto& e : entries) {
    e.begin = offset;
    e.end = offset += static_cast<std::uint64_t>(e.tensor->numel()) * e.tensor->element_size();
    if (header.size() > 1) header += ",";
    header += quote(*e.name, at_path + "tensor name '" + *e.name + "'") + ":{\"dtype\":\"" + std::string(e.dtype->name) +
              "\",\"shape\":[";
    for (std::int64_t d = 0; d < e.tensor->dim(); ++d) header += (d ? "," : "") + std::to_string(e.tensor->size(d));
    header += "],\"data_offsets\":[" + std::to_string(e.begin) + "," + std::to_string(e.end) + "]}";
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');

  AtomicFile file(path);
  const std::uint64_t length = header.size();
  file.write(&length, sizeof length);
  file.write(header.data(), header.size());
  for (const auto& e : entries) {
    if (e.end == e.begin) continue;
    at::Tensor cpu;
    try {
      cpu = e.tensor->to(c10::kCPU).resolve_conj().resolve_neg().contiguous();
    } catch (const c10::Error& err) {
      throw Error(at_path + "tensor '" + *e.name + "' could not be copied to the CPU: " + err.what_without_backtrace());
    }
    file.write(cpu.const_data_ptr(), e.end - e.begin);
  }
  file.commit();
}

}  // namespace socrates
