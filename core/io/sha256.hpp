// SHA-256 digests (OpenSSL) as lowercase hex.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace socrates {

std::string sha256_hex(std::string_view data);
/// Streams the file; throws socrates::Error naming it if it cannot be read.
std::string sha256_file(const std::filesystem::path& file);

}  // namespace socrates
