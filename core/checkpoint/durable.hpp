// Making a finished folder durable: fsync every file and every folder in it, so a power
// loss after this returns cannot leave a checkpoint whose manifest exists but whose data
// does not.
#pragma once

#include <filesystem>
#include <string>

namespace socrates {

/// fsyncs `path` (a file or a folder). Throws socrates::Error naming it and the cause.
void fsync_path(const std::filesystem::path& path);

/// fsyncs every regular file under `dir`, then every folder (deepest first), then `dir`.
void fsync_tree(const std::filesystem::path& dir);

/// Removes `dir` recursively; returns the error message ("" on success, or if it was absent).
std::string remove_tree(const std::filesystem::path& dir);

}  // namespace socrates
