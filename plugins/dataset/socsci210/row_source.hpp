// Internal to the socsci210 plugin: the readers' common interface (one data file, read in two
// passes), the row views they hand out, and the compact string storage.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "socrates/error.hpp"

namespace socsci210 {

/// The SocSci210 columns, in the dataset's order.
inline constexpr const char* kColumns[] = {"sample_id", "participant", "study_id",  "condition_num", "task_num",
                                           "demographic", "stimuli",  "prompt",    "reasoning",     "response"};

/// The columns pass 1 needs: everything that decides which rows are kept, and the label.
struct KeyRow {
  std::int64_t sample_id = 0;
  std::int64_t participant = 0;
  std::string_view study_id;
  std::int64_t condition_num = 0;
  std::int64_t task_num = 0;
  std::int64_t response = 0;
};

/// A whole row (pass 2). Views are valid only during the callback.
struct FullRow {
  KeyRow key;
  std::vector<std::optional<std::string_view>> demographic;  // in demographic_fields() order
  std::string_view stimuli;
  std::string_view prompt;
  std::string_view reasoning;  // "" when null
};

/// One data file. `pos` identifies a row within it: the 1-based line for JSONL, the 0-based
/// row index for Parquet. Every error names the file and, for row errors, the row.
class RowFile {
 public:
  virtual ~RowFile() = default;
  /// Pass 1: every row, in file order. Validates what it reads (JSONL: the whole row).
  virtual void scan_keys(const std::function<void(std::uint64_t pos, const KeyRow&)>& fn) = 0;
  /// Pass 2: only the rows at `wanted` (ascending positions from pass 1), in that order.
  virtual void scan_full(const std::vector<std::uint64_t>& wanted,
                         const std::function<void(std::uint64_t pos, const FullRow&)>& fn) = 0;
  /// Demographic attribute names, in the file's order (known after open / the first row).
  virtual const std::vector<std::string>& demographic_fields() const = 0;
  /// "<file>:<line>" (JSONL) or "<file>: row <n>" (Parquet).
  virtual std::string where(std::uint64_t pos) const = 0;
  const std::filesystem::path& path() const { return path_; }

 protected:
  explicit RowFile(std::filesystem::path p) : path_(std::move(p)) {}
  std::filesystem::path path_;
};

std::unique_ptr<RowFile> open_jsonl(const std::filesystem::path& file);
#ifdef SOCSCI210_WITH_PARQUET
std::unique_ptr<RowFile> open_parquet(const std::filesystem::path& file);
#endif

/// Strings appended to large chunks that never move, so views into them stay valid.
class Arena {
 public:
  struct Ref {
    std::uint32_t chunk = 0;
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
  };
  Ref add(std::string_view s) {
    if (s.size() > UINT32_MAX) throw socrates::Error("socsci210: a string longer than 4 GiB");
    if (chunks_.empty() || used_ + s.size() > cap_) {
      cap_ = std::max<std::size_t>(kChunk, s.size());
      chunks_.push_back(std::make_unique<char[]>(cap_));
      used_ = 0;
    }
    Ref r{static_cast<std::uint32_t>(chunks_.size() - 1), static_cast<std::uint32_t>(used_),
          static_cast<std::uint32_t>(s.size())};
    if (!s.empty()) std::memcpy(chunks_.back().get() + used_, s.data(), s.size());
    used_ += s.size();
    total_ += s.size();
    return r;
  }
  std::string_view view(Ref r) const { return {chunks_[r.chunk].get() + r.offset, r.size}; }
  std::size_t used() const { return total_; }

 private:
  static constexpr std::size_t kChunk = std::size_t{8} << 20;
  std::vector<std::unique_ptr<char[]>> chunks_;
  std::size_t used_ = 0, cap_ = 0, total_ = 0;
};

// Stable 64-bit hashing (the same on every platform and run; never std::hash).
inline std::uint64_t mix64(std::uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
inline std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

}  // namespace socsci210
