#include "data/token_cache.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include <spdlog/logger.h>

#include "io/atomic_file.hpp"
#include "io/mapped_file.hpp"
#include "io/sha256.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {
constexpr char kMagic[8] = {'S', 'O', 'C', 'T', 'O', 'K', '0', '2'};
constexpr std::uint64_t kHeader = 32;

// Layout: magic[8] | n u64 | total u64 | checksum u64 | offsets i64[n+1] | flags u8[n] (padded to 8) |
//         ids i32[total] | labels i32[total]. The checksum covers everything after the header.
std::uint64_t pad8(std::uint64_t x) { return (x + 7) & ~std::uint64_t{7}; }

// A 64-bit checksum of a byte stream: FNV-1a over 8-byte words (a short tail is zero-padded),
// fast enough to run on every load. Pieces may have any length.
class Checksum {
 public:
  void add(const void* data, std::uint64_t bytes) {
    const auto* p = static_cast<const char*>(data);
    while (bytes > 0 && (fill_ > 0 || bytes < 8)) {
      buf_[fill_++] = *p++;
      --bytes;
      if (fill_ == 8) word(buf_), fill_ = 0;
    }
    for (; bytes >= 8; p += 8, bytes -= 8) word(p);
    while (bytes > 0) buf_[fill_++] = *p++, --bytes;
  }
  std::uint64_t value() {
    if (fill_ > 0) {
      std::memset(buf_ + fill_, 0, 8 - fill_);
      word(buf_);
      fill_ = 0;
    }
    return h_;
  }

 private:
  void word(const char* p) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h_ = (h_ ^ w) * 0x100000001b3ull;
  }
  std::uint64_t h_ = 0xcbf29ce484222325ull;
  char buf_[8] = {};
  std::uint64_t fill_ = 0;
};

void write_cache(const fs::path& file, const std::vector<std::int64_t>& offsets, const std::vector<std::uint8_t>& flags,
                 const std::vector<std::int32_t>& ids, const std::vector<std::int32_t>& labels) {
  const std::uint64_t n = flags.size(), total = ids.size();
  static const char zeros[8] = {};
  Checksum c;
  c.add(offsets.data(), offsets.size() * 8);
  c.add(flags.data(), n);
  c.add(zeros, pad8(n) - n);
  c.add(ids.data(), total * 4);
  c.add(labels.data(), total * 4);
  const std::uint64_t sum = c.value();
  AtomicFile f(file);
  f.write(kMagic, sizeof kMagic);
  f.write(&n, 8);
  f.write(&total, 8);
  f.write(&sum, 8);
  f.write(offsets.data(), offsets.size() * 8);
  f.write(flags.data(), n);
  f.write(zeros, pad8(n) - n);
  f.write(ids.data(), total * 4);
  f.write(labels.data(), total * 4);
  f.commit();
}
}  // namespace

// The cache file mapped and verified (size, checksum, offsets, the number of examples), or why
// it cannot be used.
std::string TokenizedSet::open(const fs::path& file, std::size_t examples) {
  file_ = file;
  map_ = MappedFile::open(file);
  const auto* base = reinterpret_cast<const char*>(map_->data());
  const std::uint64_t size = map_->size();
  if (size < kHeader || std::memcmp(base, kMagic, 8) != 0) return "bad header";
  std::uint64_t n, total, sum;
  std::memcpy(&n, base + 8, 8);
  std::memcpy(&total, base + 16, 8);
  std::memcpy(&sum, base + 24, 8);
  if (n > size || total > size) return "wrong size";
  const std::uint64_t need = kHeader + (n + 1) * 8 + pad8(n) + total * 8;
  if (size != need) return "wrong size";
  if (n != examples) return std::to_string(n) + " examples, but the data has " + std::to_string(examples);
  Checksum c;
  c.add(base + kHeader, size - kHeader);
  if (c.value() != sum) return "checksum mismatch";
  n_ = static_cast<std::int64_t>(n);
  offsets_ = reinterpret_cast<const std::int64_t*>(base + kHeader);
  flags_ = reinterpret_cast<const std::uint8_t*>(base + kHeader + (n + 1) * 8);
  ids_ = reinterpret_cast<const std::int32_t*>(base + kHeader + (n + 1) * 8 + pad8(n));
  labels_ = ids_ + total;
  if (offsets_[0] != 0 || offsets_[n] != static_cast<std::int64_t>(total)) return "offsets do not add up";
  stats_ = {};
  stats_.examples = n_;
  stats_.tokens = static_cast<std::int64_t>(total);
  for (std::uint64_t i = 0; i < n; ++i) {
    if (offsets_[i + 1] < offsets_[i]) return "offsets out of order";
    stats_.truncated += flags_[i];
    stats_.max_length = std::max(stats_.max_length, offsets_[i + 1] - offsets_[i]);
  }
  for (std::uint64_t i = 0; i < total; ++i) {
    if (ids_[i] < 0) return "negative token id";
    stats_.label_tokens += labels_[i] != kIgnoreIndex;
  }
  return "";
}

TokenizedSet TokenizedSet::build(const Dataset& data, Partition part, const PromptFormat& format, const Tokenizer& tok,
                                 std::int64_t max_len, const fs::path& cache_dir, spdlog::logger& log) {
  const std::string key = sha256_hex(data.fingerprint() + "|" + format.fingerprint() + "|" + tok.fingerprint() + "|" +
                                     to_string(part) + "|" + std::to_string(max_len) + "|v2");
  const fs::path file = cache_dir / (key.substr(0, 32) + ".tok");
  const std::size_t n = data.size(part);
  TokenizedSet s;
  if (fs::exists(file)) {
    const std::string why = s.open(file, n);
    if (why.empty()) {
      log.info("using cached tokens for {} ({})", to_string(part), file.string());
      return s;
    }
    log.warn("{}: corrupt token cache ({}); rebuilding it", file.string(), why);
    s = TokenizedSet();
    std::error_code ec;
    fs::remove(file, ec);
  }
  log.info("tokenizing {} {} examples -> {}", n, to_string(part), file.string());
  std::vector<std::int64_t> offsets{0};
  std::vector<std::uint8_t> flags;
  std::vector<std::int32_t> ids, labels;
  for (std::size_t i = 0; i < n; ++i) {
    TokenizedExample t = format.tokenize(data.get(part, i), tok, max_len);
    ids.insert(ids.end(), t.input_ids.begin(), t.input_ids.end());
    labels.insert(labels.end(), t.labels.begin(), t.labels.end());
    offsets.push_back(static_cast<std::int64_t>(ids.size()));
    flags.push_back(t.truncated ? 1 : 0);
  }
  std::error_code ec;
  fs::create_directories(cache_dir, ec);
  if (ec) throw Error("cannot create cache directory " + cache_dir.string() + ": " + ec.message());
  write_cache(file, offsets, flags, ids, labels);
  if (const std::string why = s.open(file, n); !why.empty())
    throw Error(file.string() + ": the token cache just written does not verify (" + why + "); check the disk");
  return s;
}

std::span<const std::int32_t> TokenizedSet::ids(std::size_t i) const {
  return {ids_ + offsets_[i], static_cast<std::size_t>(length(i))};
}
std::span<const std::int32_t> TokenizedSet::labels(std::size_t i) const {
  return {labels_ + offsets_[i], static_cast<std::size_t>(length(i))};
}

}  // namespace socrates
