#include "io/run_dir.hpp"

#include <chrono>
#include <ctime>

#include "io/atomic_file.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

std::string run_name_problem(const std::string& name) {
  if (name.empty()) return "must not be empty";
  if (name == "." || name == "..") return "must not be \"" + name + "\"";
  for (const char c : name) {
    if (c == '/' || c == '\\') return "must not contain '/' or '\\' (the run directory goes inside output_dir)";
    if (c == '\0') return "must not contain a NUL character";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "must not contain control characters";
  }
  return "";
}

fs::path create_run_dir(const fs::path& out, const std::string& name, const std::string& resolved_toml) {
  if (const std::string why = run_name_problem(name); !why.empty())
    throw Error("run.name \"" + name + "\" " + why + "; choose a plain name such as \"quickstart\"");
  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw Error("cannot create output directory " + out.string() + ": " + ec.message());

  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  fs::path dir;
  for (int i = 0;; ++i) {
    std::string leaf = name;
    leaf.append(1, '-').append(stamp);
    if (i > 0) leaf.append(1, '-').append(std::to_string(i));
    dir = out / leaf;
    if (fs::create_directory(dir, ec)) break;  // atomic: fails if it exists
    if (ec) throw Error("cannot create run directory " + dir.string() + ": " + ec.message());
  }
  write_file_atomic(dir / "config.resolved.toml", resolved_toml);
  return dir;
}

}  // namespace socrates
