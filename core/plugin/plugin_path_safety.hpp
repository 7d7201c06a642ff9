// Plugins from unsafe places: a plugin runs with the user's rights, so the host refuses a
// library that someone else could have replaced, as OpenSSH's StrictModes refuses such key files.
#pragma once

#include <filesystem>
#include <string>

namespace socrates {

/// The environment variable that turns the check off ("1"): SOCRATES_ALLOW_UNSAFE_PLUGINS.
inline constexpr const char* kAllowUnsafePluginsEnv = "SOCRATES_ALLOW_UNSAFE_PLUGINS";

/// Why `file` is not a safe plugin, or "" when it is. The file, and every directory from it up
/// to the root (both as given and with symlinks resolved), must be owned by root or by this
/// user and not be writable by group or others. A world-writable directory with the sticky bit
/// (such as /tmp) is accepted as a parent, since others cannot replace entries in it. The
/// message names the path, its mode and owner, and says how to fix it or opt out.
std::string unsafe_plugin_path(const std::filesystem::path& file);

/// Whether the user opted out of the check (SOCRATES_ALLOW_UNSAFE_PLUGINS=1).
bool unsafe_plugins_allowed();

}  // namespace socrates
