// Reading a tokenizer.json: locating it, its bytes, and their SHA-256.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace socrates::tok {

/// `path` itself when it is a file; `path`/tokenizer.json when it is a directory. Throws
/// socrates::Error saying what to pass when neither exists.
std::filesystem::path locate_tokenizer_json(const std::filesystem::path& path);

/// The whole file. Throws socrates::Error naming the file.
std::string read_file_bytes(const std::filesystem::path& file);

/// Lower-case hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

}  // namespace socrates::tok
