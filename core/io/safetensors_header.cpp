#include "io/safetensors_header.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>
#include <set>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/safetensors_dtype.hpp"
#include "socrates/error.hpp"

namespace socrates {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

namespace {

using nlohmann::json;

constexpr const char* kFix = " Re-download the file or re-save it with safetensors.";

[[noreturn]] void invalid(const std::filesystem::path& path, const std::string& what, const char* fix = kFix) {
  throw Error(path.string() + ": not a valid safetensors file: " + what + "." + fix);
}

bool as_u64(const json& j, std::uint64_t& out) {
  if (!j.is_number_unsigned()) return false;
  out = j.get<std::uint64_t>();
  return true;
}

std::string range_string(const TensorInfo& t) {
  return "[" + std::to_string(t.begin) + ", " + std::to_string(t.end) + "]";
}

TensorInfo parse_entry(const std::filesystem::path& path, const std::string& name, const json& entry) {
  const std::string t = "tensor '" + name + "'";
  if (!entry.is_object()) invalid(path, t + " is not described by a JSON object");

  const auto dt = entry.find("dtype");
  if (dt == entry.end()) invalid(path, t + " has no \"dtype\"");
  if (!dt->is_string()) invalid(path, t + " has a \"dtype\" that is not a string");
  const std::string dname = dt->get<std::string>();
  const SafetensorsDtype* dtype = find_safetensors_dtype(dname);
  if (dtype == nullptr)
    invalid(path, t + " has unknown dtype '" + dname + "' (known: " + supported_safetensors_dtypes() + ")",
            " Re-download the file, or re-save it with one of these dtypes.");
  if (!dtype->scalar_type)
    throw Error(path.string() + ": " + t + " has dtype " + dname +
                ", which this build of LibTorch cannot represent (it can: " + supported_safetensors_dtypes() +
                "). Convert the tensor to one of these dtypes and re-save the file.");

  TensorInfo info;
  info.dtype = *dtype->scalar_type;
  const auto shape = entry.find("shape");
  if (shape == entry.end()) invalid(path, t + " has no \"shape\"");
  if (!shape->is_array()) invalid(path, t + " has a \"shape\" that is not a list of sizes");
  std::uint64_t numel = 1;
  for (const auto& d : *shape) {
    std::uint64_t size = 0;
    if (!as_u64(d, size) || size > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      invalid(path, t + " has a \"shape\" that is not a list of sizes (non-negative integers)");
    if (__builtin_mul_overflow(numel, size, &numel)) invalid(path, t + " has a shape too large to address");
    info.shape.push_back(static_cast<std::int64_t>(size));
  }

  const auto offsets = entry.find("data_offsets");
  if (offsets == entry.end()) invalid(path, t + " has no \"data_offsets\"");
  if (!offsets->is_array() || offsets->size() != 2 || !as_u64((*offsets)[0], info.begin) ||
      !as_u64((*offsets)[1], info.end) || info.begin > info.end)
    invalid(path, t + " has invalid \"data_offsets\" (they must be [begin, end] with 0 <= begin <= end)");

  std::uint64_t nbytes = 0;
  if (__builtin_mul_overflow(numel, dtype->bits / 8, &nbytes)) invalid(path, t + " has a shape too large to address");
  if (nbytes != info.nbytes())
    invalid(path, t + " has dtype " + dname + " and shape " + shape_string(info.shape) + ", which is " +
                      std::to_string(nbytes) + " bytes, but its data_offsets " + range_string(info) + " span " +
                      std::to_string(info.nbytes()) + " bytes");
  return info;
}

}  // namespace

SafetensorsHeader parse_safetensors_header(const std::filesystem::path& path, const std::byte* head,
                                           std::uint64_t file_size) {
  if (file_size < 8)
    invalid(path, "it has " + std::to_string(file_size) + " bytes, fewer than the 8 that give the header's length");
  std::uint64_t n = 0;
  std::memcpy(&n, head, 8);  // little-endian (static_assert above)
  if (n > file_size - 8)
    invalid(path, "the header's length (" + std::to_string(n) + " bytes) exceeds the rest of the file (" +
                      std::to_string(file_size - 8) + " bytes)");
  if (n > kMaxSafetensorsHeader)
    invalid(path, "the header's length (" + std::to_string(n) + " bytes) is over the limit of " +
                      std::to_string(kMaxSafetensorsHeader) + " bytes");
  const char* text = reinterpret_cast<const char*>(head + 8);
  if (n == 0 || text[0] != '{') invalid(path, "the header is not a JSON object");

  // Duplicate names would silently hide a tensor (the parser keeps the last): catch them.
  std::set<std::string, std::less<>> seen;
  std::string duplicate;
  const json::parser_callback_t on_key = [&](int depth, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key && depth == 1 && duplicate.empty() &&
        !seen.insert(parsed.get<std::string>()).second)
      duplicate = parsed.get<std::string>();
    return true;
  };
  json header;
  try {
    header = json::parse(text, text + n, on_key);
  } catch (const json::parse_error& e) {
    // e.byte counts from 1 and is one past the end when the text stops short.
    invalid(path, "the header is not valid JSON (error at byte " + std::to_string(std::min<std::uint64_t>(e.byte, n)) +
                      " of " + std::to_string(n) + ")");
  }
  if (!header.is_object()) invalid(path, "the header is not a JSON object");
  if (!duplicate.empty()) invalid(path, "'" + duplicate + "' appears twice in the header");

  SafetensorsHeader out;
  out.data_start = 8 + n;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) invalid(path, "\"__metadata__\" is not a map of strings to strings");
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string()) invalid(path, "\"__metadata__\" entry '" + k + "' is not a string");
        out.metadata.emplace(k, v.get<std::string>());
      }
      continue;
    }
    out.tensors.emplace(key, parse_entry(path, key, value));
  }

  // The data section must hold every byte range.
  const std::uint64_t data_size = file_size - out.data_start;
  const std::pair<const std::string, TensorInfo>* last = nullptr;
  for (const auto& entry : out.tensors)
    if (last == nullptr || entry.second.end > last->second.end) last = &entry;
  if (last != nullptr && last->second.end > data_size)
    invalid(path, "the file is truncated: tensor '" + last->first + "' ends at byte " +
                      std::to_string(last->second.end) + " of the data section, but only " +
                      std::to_string(data_size) + " bytes of data follow the header");

  // No two tensors may share bytes.
  std::vector<const std::pair<const std::string, TensorInfo>*> by_start;
  for (const auto& entry : out.tensors)
    if (entry.second.nbytes() > 0) by_start.push_back(&entry);
  std::sort(by_start.begin(), by_start.end(), [](const auto* a, const auto* b) {
    return a->second.begin != b->second.begin ? a->second.begin < b->second.begin : a->second.end < b->second.end;
  });
  const std::pair<const std::string, TensorInfo>* reach = nullptr;  // the range ending furthest so far
  for (const auto* e : by_start) {
    if (reach != nullptr && e->second.begin < reach->second.end)
      invalid(path, "tensors '" + reach->first + "' (data_offsets " + range_string(reach->second) + ") and '" +
                        e->first + "' (data_offsets " + range_string(e->second) + ") overlap");
    if (reach == nullptr || e->second.end > reach->second.end) reach = e;
  }
  return out;
}

}  // namespace socrates
