// Discovery of model fixture folders: every folder under <fixtures>/models/ plus the
// colon-separated SOCRATES_EXTRA_FIXTURES, each with model/, reference.safetensors and README.json.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace socrates::testing_fixtures {

inline std::vector<std::filesystem::path> model_fixtures() {
  namespace fs = std::filesystem;
  std::vector<fs::path> out;
  auto consider = [&](const fs::path& d) {
    if (fs::is_directory(d / "model") && fs::is_regular_file(d / "reference.safetensors")) out.push_back(d);
  };
  const fs::path root = fs::path(SOCRATES_FIXTURES_DIR) / "models";
  if (fs::is_directory(root)) {
    for (const auto& e : fs::directory_iterator(root)) consider(e.path());
  }
  if (const char* extra = std::getenv("SOCRATES_EXTRA_FIXTURES")) {
    std::stringstream ss(extra);
    for (std::string d; std::getline(ss, d, ':');)
      if (!d.empty()) consider(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline nlohmann::json fixture_readme(const std::filesystem::path& dir) {
  std::ifstream in(dir / "README.json");
  return nlohmann::json::parse(in);
}

inline std::string fixture_name(const std::filesystem::path& p) {
  std::string s = p.filename().string();
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
}

}  // namespace socrates::testing_fixtures
