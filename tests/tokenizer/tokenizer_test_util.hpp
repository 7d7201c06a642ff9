// Shared helpers of the tokenizer tests: fixture discovery and small utilities.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/bpe_tokenizer.hpp"

namespace socrates::test {

/// Every folder under SOCRATES_FIXTURES_DIR/tokenizers that holds tokenizer.json and
/// reference_encodings.json, sorted by name.
std::vector<std::filesystem::path> tokenizer_fixture_dirs();

/// The tokenizer of a fixture folder, loaded once per process.
const BpeTokenizer& fixture_tokenizer(const std::filesystem::path& dir);

/// rows[i] = {text, ids, decoded} of a fixture's reference_encodings.json.
const nlohmann::json& fixture_rows(const std::filesystem::path& dir);

/// The synthetic tokenizer in tests/tokenizer/data (ids verified against HF tokenizers 0.23.2).
const BpeTokenizer& synthetic_tokenizer();
std::filesystem::path synthetic_tokenizer_path();

/// "[1, 2, 3]".
std::string format_ids(const std::vector<std::int32_t>& ids);

/// A fresh, empty temporary directory for one test.
std::filesystem::path make_temp_dir(const std::string& name);

/// Writes `text` to `file`.
void write_file(const std::filesystem::path& file, const std::string& text);

}  // namespace socrates::test
