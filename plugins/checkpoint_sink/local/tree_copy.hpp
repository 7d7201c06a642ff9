// Durable folder copies for the local sink: hard links where the file system allows them,
// byte copies elsewhere, and fsync of every file and folder.
#pragma once

#include <filesystem>

namespace local_sink {

/// Copies the folder `src` to `dest` (which must not exist). Each file is hard-linked when
/// `src` and `dest` share a file system (checkpoint files are never modified after they are
/// written) and copied otherwise. Every file and folder is fsynced before this returns.
/// Throws socrates::Error naming the file and the cause (a full disk, ...).
void copy_tree(const std::filesystem::path& src, const std::filesystem::path& dest);

/// fsyncs a file or folder; throws socrates::Error naming it.
void sync_path(const std::filesystem::path& path);

/// Renames `from` to `to` (same folder) and fsyncs that folder.
void rename_durably(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace local_sink
