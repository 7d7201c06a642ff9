// A partition of a dataset, rendered by a prompt format and tokenized, cached on disk and
// memory-mapped, so a rerun with the same data, format, tokenizer and options skips
// tokenization.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include "socrates/dataset.hpp"
#include "socrates/prompt_format.hpp"
#include "socrates/tokenizer.hpp"

namespace spdlog {
class logger;
}

namespace socrates {

class MappedFile;

struct TokenStats {
  std::int64_t examples = 0;
  std::int64_t tokens = 0;         // all tokens
  std::int64_t label_tokens = 0;   // tokens that carry loss
  std::int64_t truncated = 0;      // examples whose prompt was cut
  std::int64_t max_length = 0;
};

class TokenizedSet {
 public:
  /// Loads `<cache_dir>/<key>.tok` if present and valid, else tokenizes every example of
  /// `part` (in dataset order) and writes that file atomically. The key hashes the
  /// fingerprints of dataset, format and tokenizer, the partition and max_len. A cache file
  /// that does not verify (size, checksum, offsets, number of examples) is rebuilt, with a warning.
  static TokenizedSet build(const Dataset& data, Partition part, const PromptFormat& format, const Tokenizer& tok,
                            std::int64_t max_len, const std::filesystem::path& cache_dir, spdlog::logger& log);

  std::size_t size() const { return static_cast<std::size_t>(n_); }
  std::span<const std::int32_t> ids(std::size_t i) const;
  std::span<const std::int32_t> labels(std::size_t i) const;
  std::int64_t length(std::size_t i) const { return offsets_[i + 1] - offsets_[i]; }
  bool truncated(std::size_t i) const { return flags_[i] != 0; }
  const TokenStats& stats() const { return stats_; }
  const std::filesystem::path& file() const { return file_; }

 private:
  std::string open(const std::filesystem::path& file, std::size_t examples);
  std::shared_ptr<const MappedFile> map_;
  std::filesystem::path file_;
  std::int64_t n_ = 0;
  const std::int64_t* offsets_ = nullptr;
  const std::uint8_t* flags_ = nullptr;
  const std::int32_t* ids_ = nullptr;
  const std::int32_t* labels_ = nullptr;
  TokenStats stats_;
};

}  // namespace socrates
