#include "tokenizer/tokenizer_file.hpp"

#include "io/sha256.hpp"

#include <fstream>
#include <sstream>


#include "socrates/error.hpp"

namespace socrates::tok {

namespace fs = std::filesystem;

fs::path locate_tokenizer_json(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const fs::path f = path / "tokenizer.json";
    if (!fs::is_regular_file(f, ec))
      throw Error("tokenizer: directory " + path.string() +
                  " has no tokenizer.json; pass a Hugging Face model directory that contains one, or the file itself");
    return f;
  }
  if (!fs::exists(path, ec))
    throw Error("tokenizer: " + path.string() +
                " does not exist; pass a Hugging Face tokenizer.json or a model directory that contains one");
  return path;
}

std::string read_file_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error("tokenizer: cannot open " + file.string() + " for reading; check the path and its permissions");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) throw Error("tokenizer: reading " + file.string() + " failed");
  return std::move(ss).str();
}

std::string sha256_hex(std::string_view bytes) { return socrates::sha256_hex(bytes); }

}  // namespace socrates::tok
