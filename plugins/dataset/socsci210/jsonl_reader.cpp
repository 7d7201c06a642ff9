// JSONL: one JSON object per line with the SocSci210 columns; `demographic` is an object.
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "row_source.hpp"

namespace socsci210 {
namespace {

using Json = nlohmann::ordered_json;  // keeps the demographic keys in the file's order

class JsonlFile final : public RowFile {
 public:
  explicit JsonlFile(const std::filesystem::path& p) : RowFile(p) {}

  void scan_keys(const std::function<void(std::uint64_t, const KeyRow&)>& fn) override {
    FullRow row;
    each_line([&](std::uint64_t line, const std::string& text) {
      parse(line, text, row);
      fn(line, row.key);
      return true;
    });
  }

  void scan_full(const std::vector<std::uint64_t>& wanted,
                 const std::function<void(std::uint64_t, const FullRow&)>& fn) override {
    if (wanted.empty()) return;
    std::size_t next = 0;
    FullRow row;
    each_line([&](std::uint64_t line, const std::string& text) {
      if (line != wanted[next]) return true;
      parse(line, text, row);
      fn(line, row);
      return ++next < wanted.size();
    });
  }

  const std::vector<std::string>& demographic_fields() const override { return fields_; }

  std::string where(std::uint64_t line) const override { return path_.string() + ":" + std::to_string(line); }

 private:
  // Calls fn(line number, text) for each non-blank line until fn returns false.
  template <class Fn>
  void each_line(Fn&& fn) {
    std::ifstream in(path_, std::ios::binary);
    if (!in) throw socrates::Error(path_.string() + ": cannot open for reading");
    std::string text;
    std::uint64_t line = 0;
    while (std::getline(in, text)) {
      ++line;
      if (!text.empty() && text.back() == '\r') text.pop_back();
      if (text.find_first_not_of(" \t") == std::string::npos) continue;
      if (!fn(line, text)) return;
    }
    if (in.bad()) throw socrates::Error(path_.string() + ": read error after line " + std::to_string(line));
  }

  [[noreturn]] void fail(std::uint64_t line, const std::string& what) const {
    throw socrates::Error(where(line) + ": " + what);
  }

  const Json& field(std::uint64_t line, const char* name) const {
    auto it = obj_.find(name);
    if (it == obj_.end()) fail(line, std::string("missing column '") + name + "'");
    if (it->is_null()) fail(line, std::string("'") + name + "' is null");
    return *it;
  }
  std::int64_t integer(std::uint64_t line, const char* name) const {
    const Json& v = field(line, name);
    if (v.is_number_unsigned()) {
      auto u = v.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT64_MAX)) fail(line, std::string("'") + name + "' does not fit in int64");
      return static_cast<std::int64_t>(u);
    }
    if (!v.is_number_integer())
      fail(line, std::string("column '") + name + "' has type " + v.type_name() + ", expected an integer");
    return v.get<std::int64_t>();
  }
  std::string_view string(std::uint64_t line, const char* name, bool nullable = false) const {
    auto it = obj_.find(name);
    if (nullable && it != obj_.end() && it->is_null()) return {};
    const Json& v = field(line, name);
    if (!v.is_string()) fail(line, std::string("column '") + name + "' has type " + v.type_name() + ", expected a string");
    return v.get_ref<const std::string&>();
  }

  void parse(std::uint64_t line, const std::string& text, FullRow& row) {
    try {
      obj_ = Json::parse(text);
    } catch (const Json::parse_error& e) {
      fail(line, "invalid JSON at column " + std::to_string(e.byte));
    }
    if (!obj_.is_object()) fail(line, std::string("expected a JSON object, got ") + obj_.type_name());
    KeyRow& k = row.key;
    k.sample_id = integer(line, "sample_id");
    k.participant = integer(line, "participant");
    k.study_id = string(line, "study_id");
    if (k.study_id.empty()) fail(line, "'study_id' is empty");
    k.condition_num = integer(line, "condition_num");
    k.task_num = integer(line, "task_num");
    k.response = integer(line, "response");
    row.stimuli = string(line, "stimuli");
    row.prompt = string(line, "prompt");
    row.reasoning = string(line, "reasoning", /*nullable=*/true);

    const Json& demo = field(line, "demographic");
    if (!demo.is_object())
      fail(line, std::string("column 'demographic' has type ") + demo.type_name() + ", expected an object");
    if (!have_fields_) {  // the first row fixes the attribute names and their order
      for (const auto& [key, _] : demo.items()) fields_.push_back(key);
      have_fields_ = true;
    }
    row.demographic.assign(fields_.size(), std::nullopt);
    std::size_t found = 0;
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      auto it = demo.find(fields_[i]);
      if (it == demo.end()) fail(line, "'demographic' has no field '" + fields_[i] + "'");
      ++found;
      if (it->is_null()) continue;
      if (!it->is_string())
        fail(line, "column 'demographic." + fields_[i] + "' has type " + it->type_name() +
                       ", expected a string or null");
      row.demographic[i] = std::string_view(it->get_ref<const std::string&>());
    }
    if (found != demo.size()) {
      for (const auto& [key, _] : demo.items())
        if (std::find(fields_.begin(), fields_.end(), key) == fields_.end())
          fail(line, "'demographic' has a field '" + key + "' that the first row lacks");
    }
  }

  Json obj_;
  std::vector<std::string> fields_;
  bool have_fields_ = false;
};

}  // namespace

std::unique_ptr<RowFile> open_jsonl(const std::filesystem::path& file) { return std::make_unique<JsonlFile>(file); }

}  // namespace socsci210
