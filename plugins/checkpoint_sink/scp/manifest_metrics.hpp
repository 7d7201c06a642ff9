// The "metrics" of a manifest.json (the file list is read by the host: HostServices::read_manifest).
#pragma once

#include <filesystem>
#include <map>
#include <string>

namespace socrates_scp {

/// The "metrics" object of manifest.json text; empty if absent. Throws socrates::Error
/// naming `where` if the text is not JSON.
std::map<std::string, double> manifest_metrics(const std::string& text, const std::string& where);

/// The same, read from `dir`/manifest.json.
std::map<std::string, double> manifest_metrics(const std::filesystem::path& dir);

}  // namespace socrates_scp
