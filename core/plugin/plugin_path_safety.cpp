#include "plugin/plugin_path_safety.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace socrates {

namespace {

// Why the inode at `p` (followed through symlinks) is unsafe, or "".
std::string unsafe_entry(const fs::path& p, bool is_file) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return "";  // the loader reports a missing file itself
  const uid_t me = ::geteuid();
  const char* what = is_file ? "plugin file" : "directory";
  if (st.st_uid != 0 && st.st_uid != me) {
    return fmt::format("{} {} is owned by uid {}, not by you (uid {}) or root", what, p.string(), st.st_uid, me);
  }
  const bool sticky = !is_file && (st.st_mode & S_ISVTX);
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !sticky) {
    return fmt::format("{} {} is writable by {} (mode {:04o}), so another user could replace the plugin; run "
                       "`chmod go-w {}`",
                       what, p.string(), (st.st_mode & S_IWOTH) ? "everyone" : "its group", st.st_mode & 07777,
                       p.string());
  }
  return "";
}

// `file`, then each directory above it up to the root.
std::string unsafe_chain(const fs::path& file) {
  if (std::string why = unsafe_entry(file, true); !why.empty()) return why;
  for (fs::path dir = file.parent_path();; dir = dir.parent_path()) {
    if (std::string why = unsafe_entry(dir, false); !why.empty()) return why;
    if (dir == dir.parent_path()) break;
  }
  return "";
}

}  // namespace

std::string unsafe_plugin_path(const fs::path& file) {
  std::error_code ec;
  const fs::path given = fs::absolute(file, ec).lexically_normal();
  std::string why = ec ? "" : unsafe_chain(given);
  if (why.empty()) {
    const fs::path real = fs::canonical(file, ec);
    if (!ec && real != given) why = unsafe_chain(real);
  }
  if (why.empty()) return "";
  return "refusing to load a plugin from an unsafe place: " + why + ". To load it anyway, set " +
         kAllowUnsafePluginsEnv + "=1";
}

bool unsafe_plugins_allowed() {
  const char* v = std::getenv(kAllowUnsafePluginsEnv);
  return v && std::strcmp(v, "1") == 0;
}

}  // namespace socrates
