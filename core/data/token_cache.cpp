#include "data/token_cache.hpp"

#include <cstring>

#include <spdlog/logger.h>

#include "io/atomic_file.hpp"
#include "io/mapped_file.hpp"
#include "io/sha256.hpp"

namespace fs = std::filesystem;

namespace socrates {

namespace {
constexpr char kMagic[8] = {'S', 'O', 'C', 'T', 'O', 'K', '0', '1'};

// Layout: magic[8] | n u64 | total u64 | offsets i64[n+1] | flags u8[n] (padded to 8) | ids i32[total] | labels i32[total]
std::uint64_t pad8(std::uint64_t x) { return (x + 7) & ~std::uint64_t{7}; }

void write_cache(const fs::path& file, const std::vector<std::int64_t>& offsets, const std::vector<std::uint8_t>& flags,
                 const std::vector<std::int32_t>& ids, const std::vector<std::int32_t>& labels) {
  AtomicFile f(file);
  const std::uint64_t n = flags.size(), total = ids.size();
  f.write(kMagic, sizeof kMagic);
  f.write(&n, 8);
  f.write(&total, 8);
  f.write(offsets.data(), offsets.size() * 8);
  f.write(flags.data(), flags.size());
  static const char zeros[8] = {};
  f.write(zeros, pad8(n) - n);
  f.write(ids.data(), ids.size() * 4);
  f.write(labels.data(), labels.size() * 4);
  f.commit();
}
}  // namespace

TokenizedSet TokenizedSet::build(const Dataset& data, Partition part, const PromptFormat& format, const Tokenizer& tok,
                                 std::int64_t max_len, const fs::path& cache_dir, spdlog::logger& log) {
  const std::string key = sha256_hex(data.fingerprint() + "|" + format.fingerprint() + "|" + tok.fingerprint() + "|" +
                                     to_string(part) + "|" + std::to_string(max_len) + "|v1");
  const fs::path file = cache_dir / (key.substr(0, 32) + ".tok");
  if (!fs::exists(file)) {
    const std::size_t n = data.size(part);
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
  } else {
    log.info("using cached tokens for {} ({})", to_string(part), file.string());
  }

  TokenizedSet s;
  s.file_ = file;
  s.map_ = MappedFile::open(file);
  const auto* base = reinterpret_cast<const char*>(s.map_->data());
  const std::uint64_t size = s.map_->size();
  auto corrupt = [&](const char* why) {
    return Error(file.string() + ": corrupt token cache (" + why + "); delete it and rerun");
  };
  if (size < 24 || std::memcmp(base, kMagic, 8) != 0) throw corrupt("bad header");
  std::uint64_t n, total;
  std::memcpy(&n, base + 8, 8);
  std::memcpy(&total, base + 16, 8);
  const std::uint64_t need = 24 + (n + 1) * 8 + pad8(n) + total * 8;
  if (size != need) throw corrupt("wrong size");
  s.n_ = static_cast<std::int64_t>(n);
  s.offsets_ = reinterpret_cast<const std::int64_t*>(base + 24);
  s.flags_ = reinterpret_cast<const std::uint8_t*>(base + 24 + (n + 1) * 8);
  s.ids_ = reinterpret_cast<const std::int32_t*>(base + 24 + (n + 1) * 8 + pad8(n));
  s.labels_ = s.ids_ + total;
  if (s.offsets_[n] != static_cast<std::int64_t>(total)) throw corrupt("offsets do not add up");
  s.stats_.examples = s.n_;
  s.stats_.tokens = static_cast<std::int64_t>(total);
  for (std::uint64_t i = 0; i < n; ++i) {
    s.stats_.truncated += s.flags_[i];
    s.stats_.max_length = std::max(s.stats_.max_length, s.offsets_[i + 1] - s.offsets_[i]);
  }
  for (std::uint64_t i = 0; i < total; ++i) s.stats_.label_tokens += s.labels_[i] != kIgnoreIndex;
  return s;
}

std::span<const std::int32_t> TokenizedSet::ids(std::size_t i) const {
  return {ids_ + offsets_[i], static_cast<std::size_t>(length(i))};
}
std::span<const std::int32_t> TokenizedSet::labels(std::size_t i) const {
  return {labels_ + offsets_[i], static_cast<std::size_t>(length(i))};
}

}  // namespace socrates
