#include "io/safetensors_file.hpp"

#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <c10/util/Exception.h>

#include <cstring>

#include "io/close_names.hpp"
#include "io/mapped_file.hpp"
#include "io/safetensors_header.hpp"
#include "socrates/error.hpp"

namespace socrates {

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path) {
  SafetensorsFile f;
  f.path_ = path;
  f.map_ = MappedFile::open(path);
  SafetensorsHeader header = parse_safetensors_header(path, f.map_->data(), f.map_->size());
  f.data_start_ = header.data_start;
  f.tensors_ = std::move(header.tensors);
  f.metadata_ = std::move(header.metadata);
  return f;
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& [name, info] : tensors_) out.push_back(name);
  return out;
}

const TensorInfo& SafetensorsFile::info(std::string_view name) const {
  const auto it = tensors_.find(name);
  if (it != tensors_.end()) return it->second;
  std::string msg = path_.string() + ": no tensor named '" + std::string(name) + "'";
  if (tensors_.empty())
    msg += " (the file has no tensors)";
  else
    msg += " (the file has " + std::to_string(tensors_.size()) + " tensors; the closest names are " +
           quoted_list(close_names(name, names())) + ")";
  throw Error(msg + ". Check the name, and that this is the right file.");
}

at::Tensor SafetensorsFile::view(std::string_view name) const {
  const TensorInfo& t = info(name);
  const auto options = at::TensorOptions().dtype(t.dtype).device(c10::kCPU);
  if (t.nbytes() == 0) return at::empty(t.shape, options);
  const std::byte* data = map_->data() + data_start_ + t.begin;
  if (reinterpret_cast<std::uintptr_t>(data) % c10::elementSize(t.dtype) != 0) {
    // Not written by the Python package (which aligns): kernels want aligned data, so copy.
    at::Tensor copy = at::empty(t.shape, options);
    std::memcpy(copy.mutable_data_ptr(), data, t.nbytes());
    return copy;
  }
  std::shared_ptr<const MappedFile> keep = map_;
  return at::from_blob(const_cast<std::byte*>(data), t.shape, [keep](void*) {}, options);
}

at::Tensor SafetensorsFile::load(std::string_view name, c10::Device device, std::optional<c10::ScalarType> dtype) const {
  const TensorInfo& t = info(name);
  const c10::ScalarType target = dtype.value_or(t.dtype);
  const std::uint64_t start = data_start_ + t.begin;
  map_->advise(start, t.nbytes(), MappedFile::Advice::WillNeed);
  try {
    const at::Tensor v = view(name);
    at::Tensor out;
    if (device.is_cpu())
      out = target == t.dtype ? v.clone() : v.to(target);
    else if (c10::elementSize(target) > c10::elementSize(t.dtype))
      out = v.to(device).to(target);  // widen on the device: fewer bytes over the bus
    else
      out = v.to(device, target);
    // The pages are in `out` now; drop them from this process (the page cache keeps them).
    if (!device.is_cpu()) map_->advise(start, t.nbytes(), MappedFile::Advice::DontNeed);
    return out;
  } catch (const c10::Error& e) {
    throw Error(path_.string() + ": cannot load tensor '" + std::string(name) + "' (" + dtype_string(t.dtype) + " " +
                shape_string(t.shape) + ") as " + dtype_string(target) + " on " + device.str() + ": " +
                e.what_without_backtrace());
  }
}

}  // namespace socrates
