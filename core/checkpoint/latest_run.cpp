#include "checkpoint/latest_run.hpp"

#include <tuple>

namespace fs = std::filesystem;

namespace socrates {

namespace {

bool digits(const std::string& s, std::size_t from, std::size_t n) {
  if (s.size() < from + n) return false;
  for (std::size_t i = from; i < from + n; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

// For "<name>-20250101-120000" or "<name>-20250101-120000-3": (stamp, 3); else nothing.
std::optional<std::pair<std::string, long long>> run_key(const std::string& leaf, const std::string& name) {
  const std::string prefix = name + "-";
  if (leaf.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  const std::size_t at = prefix.size();
  if (!digits(leaf, at, 8) || leaf.size() < at + 15 || leaf[at + 8] != '-' || !digits(leaf, at + 9, 6)) return std::nullopt;
  const std::string stamp = leaf.substr(at, 15);
  if (leaf.size() == at + 15) return std::make_pair(stamp, 0LL);
  const std::string rest = leaf.substr(at + 15);
  if (rest.size() < 2 || rest[0] != '-' || rest.size() > 10 || !digits(rest, 1, rest.size() - 1)) return std::nullopt;
  return std::make_pair(stamp, std::stoll(rest.substr(1)));
}

}  // namespace

std::optional<fs::path> latest_run_dir(const fs::path& output_dir, const std::string& name) {
  std::optional<fs::path> best;
  std::pair<std::string, long long> best_key;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(output_dir, ec)) {
    auto key = run_key(e.path().filename().string(), name);
    if (!key || !fs::exists(e.path() / "config.resolved.toml")) continue;
    if (!best || *key > best_key) {
      best = e.path();
      best_key = *key;
    }
  }
  return best;
}

}  // namespace socrates
