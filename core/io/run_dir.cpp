#include "io/run_dir.hpp"

#include <chrono>
#include <ctime>

#include "io/atomic_file.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;

namespace socrates {

fs::path create_run_dir(const fs::path& out, const std::string& name, const std::string& resolved_toml) {
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
