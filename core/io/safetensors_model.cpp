#include "io/safetensors_model.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "io/close_names.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {

using nlohmann::json;

[[noreturn]] void invalid_index(const fs::path& index, const std::string& what) {
  throw Error(index.string() + ": not a valid index file: " + what + ". Re-download the model.");
}

// A shard name must stay inside the model folder.
bool inside_folder(const fs::path& rel) {
  if (rel.empty() || rel.is_absolute()) return false;
  for (const auto& part : rel)
    if (part == "..") return false;
  return true;
}

}  // namespace

SafetensorsModel SafetensorsModel::open(const fs::path& path) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (!fs::exists(st)) throw Error(path.string() + ": no such file or folder.");
  SafetensorsModel model;
  if (fs::is_directory(st)) {
    if (fs::exists(path / kIndexFile))
      model = open_index(path / kIndexFile);
    else if (fs::exists(path / kSingleFile))
      model = open_single(path / kSingleFile);
    else {
      std::vector<std::string> found;
      for (const auto& e : fs::directory_iterator(path, ec))
        if (e.path().extension() == ".safetensors") found.push_back(e.path().filename().string());
      std::sort(found.begin(), found.end());
      throw Error(path.string() + ": no " + kIndexFile + " or " + kSingleFile + " in this folder" +
                  (found.empty() ? "" : " (it has " + quoted_list(found) + ")") +
                  ". Point to a Hugging Face model folder or to a .safetensors file.");
    }
  } else if (path.filename().string().ends_with(".index.json")) {
    model = open_index(path);
  } else {
    model = open_single(path);
  }
  model.path_ = path;
  return model;
}

SafetensorsModel SafetensorsModel::open_single(const fs::path& file) {
  SafetensorsModel model;
  model.files_.push_back(SafetensorsFile::open(file));
  for (const auto& name : model.files_[0].names()) model.where_.emplace(name, 0);
  return model;
}

SafetensorsModel SafetensorsModel::open_index(const fs::path& index) {
  std::ifstream in(index, std::ios::binary);
  std::ostringstream text;
  if (!(in && text << in.rdbuf())) throw Error(index.string() + ": cannot read the index file.");
  const std::string content = text.str();
  json j;
  try {
    j = json::parse(content);
  } catch (const json::parse_error& e) {
    invalid_index(index, "it is not valid JSON (error at byte " + std::to_string(std::min(e.byte, content.size())) +
                             " of " + std::to_string(content.size()) + ")");
  }
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
    invalid_index(index, "it has no \"weight_map\" object");
  const json& weight_map = j["weight_map"];
  if (weight_map.empty()) invalid_index(index, "its \"weight_map\" lists no tensors");

  const fs::path dir = index.parent_path();
  std::map<std::string, std::vector<std::string>> by_shard;  // shard -> names, both sorted
  for (const auto& [name, shard] : weight_map.items()) {
    if (!shard.is_string()) invalid_index(index, "\"weight_map\" maps '" + name + "' to something other than a file name");
    const std::string s = shard.get<std::string>();
    if (!inside_folder(fs::path(s)))
      invalid_index(index, "tensor '" + name + "' is mapped to '" + s + "', which is not a file in " + dir.string());
    by_shard[s].push_back(name);
  }
  for (const auto& [shard, names] : by_shard)
    if (!fs::exists(dir / shard))
      throw Error(index.string() + ": shard '" + shard + "' (which holds '" + names.front() + "'" +
                  (names.size() == 1   ? std::string()
                   : names.size() == 2 ? std::string(" and 1 more tensor")
                                       : " and " + std::to_string(names.size() - 1) + " more tensors") +
                  ") does not exist in " + dir.string() + ". Re-download the model with all of its shards.");

  SafetensorsModel model;
  model.index_ = index;
  for (const auto& [shard, names] : by_shard) {
    model.files_.push_back(SafetensorsFile::open(dir / shard));
    const SafetensorsFile& file = model.files_.back();
    for (const auto& name : names) {
      if (!file.has(name))
        throw Error(index.string() + ": tensor '" + name + "' is mapped to shard '" + shard +
                    "', but that file has no such tensor. Re-download the model, or fix the index.");
      model.where_.emplace(name, model.files_.size() - 1);
    }
  }
  return model;
}

std::vector<std::string> SafetensorsModel::names() const {
  std::vector<std::string> out;
  out.reserve(where_.size());
  for (const auto& [name, i] : where_) out.push_back(name);
  return out;
}

const SafetensorsFile& SafetensorsModel::file_of(std::string_view name) const {
  const auto it = where_.find(name);
  if (it != where_.end()) return files_[it->second];
  const fs::path& where = index_ ? *index_ : files_.front().path();
  std::string msg = where.string() + ": no tensor named '" + std::string(name) + "'";
  if (where_.empty())
    msg += " (the model has no tensors)";
  else
    msg += " (the model has " + std::to_string(where_.size()) + " tensors; the closest names are " +
           quoted_list(close_names(name, names())) + ")";
  throw Error(msg + ". Check the name, and that this is the right model.");
}

const TensorInfo& SafetensorsModel::info(std::string_view name) const { return file_of(name).info(name); }

at::Tensor SafetensorsModel::view(std::string_view name) const { return file_of(name).view(name); }

at::Tensor SafetensorsModel::load(std::string_view name, c10::Device device, std::optional<c10::ScalarType> dtype) const {
  return file_of(name).load(name, device, dtype);
}

}  // namespace socrates
