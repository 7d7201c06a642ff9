#include "plugin/plugin_registry.hpp"

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <tuple>

#include "config/concerns.hpp"
#include "config/schema.hpp"
#include "socrates/error.hpp"

namespace socrates {

namespace {

std::filesystem::path canonical_or_self(const std::filesystem::path& p) {
  std::error_code ec;
  auto c = std::filesystem::weakly_canonical(p, ec);
  return ec ? p : c;
}

// Items (strings or paths) joined with `sep`.
template <class Range>
std::string join(const Range& items, const char* sep) {
  std::string out;
  for (const auto& x : items) out += (out.empty() ? "" : sep) + std::string(x);
  return out;
}

}  // namespace

void PluginRegistry::scan(const std::filesystem::path& dir) {
  if (std::find(dirs_.begin(), dirs_.end(), dir) == dirs_.end()) dirs_.push_back(dir);
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code fec;
    if (e.path().extension() == ".so" && e.is_regular_file(fec)) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    if (std::find(files_.begin(), files_.end(), canonical_or_self(f)) != files_.end()) continue;
    try {
      add(f);
    } catch (const std::exception& e) {
      problems_.push_back(e.what());
    }
  }
}

const PluginInfo& PluginRegistry::add(const std::filesystem::path& file) {
  const auto canon = canonical_or_self(file);
  if (std::find(files_.begin(), files_.end(), canon) != files_.end()) {
    for (const Entry& e : entries_) {
      if (canonical_or_self(e.lib->info().path) == canon) return e.lib->info();
    }
  } else {
    files_.push_back(canon);
  }
  auto lib = PluginLibrary::load(file);
  const PluginInfo& info = lib->info();
  for (Entry& e : entries_) {
    const PluginInfo& first = e.lib->info();
    if (first.concern == info.concern && first.name == info.name) {
      if (std::find(e.clashes.begin(), e.clashes.end(), file) == e.clashes.end()) e.clashes.push_back(file);
      throw PluginError(file.string() + ": duplicate " + info.concern + " plugin '" + info.name + "', also in " +
                        first.path.string() + ". Remove one of them or rename it.");
    }
  }
  entries_.push_back({std::move(lib), {}});
  return entries_.back().lib->info();
}

std::shared_ptr<PluginLibrary> PluginRegistry::find(std::string_view concern, std::string_view name) const {
  const auto& concerns = concern_names();
  if (std::find(concerns.begin(), concerns.end(), concern) == concerns.end()) {
    throw PluginError("unknown plugin concern '" + std::string(concern) +
                      "'. Known concerns: " + join(concerns, ", "));
  }
  std::vector<std::string> known;
  for (const Entry& e : entries_) {
    const PluginInfo& info = e.lib->info();
    if (info.concern != concern) continue;
    if (info.name == name) {
      if (e.clashes.empty()) return e.lib;
      std::vector<std::filesystem::path> all{info.path};
      all.insert(all.end(), e.clashes.begin(), e.clashes.end());
      throw PluginError(std::string(concern) + " plugin '" + info.name + "' is ambiguous: it is in " +
                        join(all, ", ") +
                        ". Remove all but one of them or rename them.");
    }
    known.push_back(info.name);
  }
  std::sort(known.begin(), known.end());
  std::string msg = "unknown " + std::string(concern) + " plugin '" + std::string(name) + "'.";
  if (std::string guess = did_you_mean(name, known); !guess.empty()) msg += " Did you mean '" + guess + "'?";
  msg += " Known " + std::string(concern) + " plugins: " + (known.empty() ? "none" : join(known, ", ")) +
         ". Search path: " + join(dirs_, ":");
  if (!problems_.empty()) {
    msg += " (" + std::to_string(problems_.size()) +
           " plugin files failed to load; run `socrates plugins list` to see why)";
  }
  throw PluginError(msg);
}

std::vector<std::shared_ptr<PluginLibrary>> PluginRegistry::list() const {
  std::vector<std::shared_ptr<PluginLibrary>> out;
  for (const Entry& e : entries_) out.push_back(e.lib);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a->info().concern, a->info().name) < std::tie(b->info().concern, b->info().name);
  });
  return out;
}

void PluginRegistry::scan_defaults() {
  for (const std::filesystem::path& dir : default_plugin_dirs()) scan(dir);
}

CatalogEntry PluginRegistry::find_plugin(std::string_view concern, std::string_view name) const {
  std::shared_ptr<PluginLibrary> lib = find(concern, name);
  return CatalogEntry{&lib->info().options, lib};
}

std::vector<std::string> PluginRegistry::names(std::string_view concern) const {
  std::vector<std::string> out;
  for (const auto& lib : list())
    if (lib->info().concern == concern) out.push_back(lib->info().name);
  return out;
}

std::vector<std::filesystem::path> default_plugin_dirs() {
  std::vector<std::filesystem::path> dirs;
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) dirs.push_back((exe.parent_path() / ".." / "lib" / "socrates" / "plugins").lexically_normal());
  if (const char* env = std::getenv("SOCRATES_PLUGIN_PATH")) {
    std::stringstream ss(env);
    for (std::string entry; std::getline(ss, entry, ':');) {
      if (!entry.empty()) dirs.emplace_back(entry);
    }
  }
  return dirs;
}

}  // namespace socrates
