#include "tokenizer_test_util.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace fs = std::filesystem;

namespace socrates::test {

std::vector<fs::path> tokenizer_fixture_dirs() {
  std::vector<fs::path> dirs;
  const fs::path root = fs::path(SOCRATES_FIXTURES_DIR) / "tokenizers";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return dirs;
  for (const auto& entry : fs::directory_iterator(root)) {
    if (entry.is_directory() && fs::is_regular_file(entry.path() / "tokenizer.json") &&
        fs::is_regular_file(entry.path() / "reference_encodings.json"))
      dirs.push_back(entry.path());
  }
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

namespace {
std::mutex g_mutex;
}

const BpeTokenizer& fixture_tokenizer(const fs::path& dir) {
  static std::map<fs::path, std::unique_ptr<BpeTokenizer>> cache;
  std::lock_guard<std::mutex> lock(g_mutex);
  auto& slot = cache[dir];
  if (!slot) slot = BpeTokenizer::from_file(dir / "tokenizer.json");
  return *slot;
}

const nlohmann::json& fixture_rows(const fs::path& dir) {
  static std::map<fs::path, nlohmann::json> cache;
  std::lock_guard<std::mutex> lock(g_mutex);
  auto it = cache.find(dir);
  if (it == cache.end()) {
    std::ifstream in(dir / "reference_encodings.json");
    if (!in) throw std::runtime_error("cannot read " + (dir / "reference_encodings.json").string());
    nlohmann::json j = nlohmann::json::parse(in);
    it = cache.emplace(dir, std::move(j.at("rows"))).first;
  }
  return it->second;
}

fs::path synthetic_tokenizer_path() { return fs::path(SOCRATES_TOKENIZER_TEST_DATA) / "synthetic_tokenizer.json"; }

const BpeTokenizer& synthetic_tokenizer() {
  static const std::unique_ptr<BpeTokenizer> tok = BpeTokenizer::from_file(synthetic_tokenizer_path());
  return *tok;
}

std::string format_ids(const std::vector<std::int32_t>& ids) {
  std::string s = "[";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(ids[i]);
  }
  return s + "]";
}

fs::path make_temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("socrates-tok-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

}  // namespace socrates::test
