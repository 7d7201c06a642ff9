#include "manifest_metrics.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "socrates/error.hpp"

namespace socrates_scp {

std::map<std::string, double> manifest_metrics(const std::string& text, const std::string& where) {
  std::map<std::string, double> out;
  try {
    const auto j = nlohmann::json::parse(text);
    if (j.contains("metrics") && j["metrics"].is_object())
      for (const auto& [k, v] : j["metrics"].items())
        if (v.is_number()) out[k] = v.get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw socrates::Error(where + ": malformed manifest (" + e.what() + ")");
  }
  return out;
}

std::map<std::string, double> manifest_metrics(const std::filesystem::path& dir) {
  const auto file = dir / "manifest.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) throw socrates::Error(file.string() + ": cannot read the manifest");
  std::stringstream ss;
  ss << in.rdbuf();
  return manifest_metrics(ss.str(), file.string());
}

}  // namespace socrates_scp
