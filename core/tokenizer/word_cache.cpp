#include "tokenizer/word_cache.hpp"

namespace socrates::tok {

std::uint64_t hash_bytes(std::string_view s) {
  // 8 bytes at a time, multiply-xorshift mixing (fast and good enough for a cache).
  constexpr std::uint64_t k = 0x9E3779B97F4A7C15ULL;
  std::uint64_t h = 0x243F6A8885A308D3ULL ^ (s.size() * k);
  const char* p = s.data();
  std::size_t n = s.size();
  while (n >= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * k;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  if (n) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * k;
    h ^= h >> 29;
  }
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 32;
  return h;
}

WordCache::WordCache(std::size_t slots) : slots_(slots), mask_(slots - 1) {
  keys_.reserve(slots * 8);
  ids_.reserve(slots * 2);
}

void WordCache::clear() {
  for (Slot& s : slots_) s.ids_len = kEmpty;
  used_ = 0;
  keys_.clear();
  ids_.clear();
}

void WordCache::insert(std::string_view word, std::uint64_t hash, const std::int32_t* ids, std::size_t count) {
  if (word.size() > kMaxWordBytes) return;
  if ((used_ + 1) * 2 > slots_.size()) clear();  // load factor <= 0.5
  std::size_t i = hash & mask_;
  while (slots_[i].ids_len != kEmpty) i = (i + 1) & mask_;
  Slot& s = slots_[i];
  s.hash = hash;
  s.key_off = static_cast<std::uint32_t>(keys_.size());
  s.key_len = static_cast<std::uint32_t>(word.size());
  s.ids_off = static_cast<std::uint32_t>(ids_.size());
  s.ids_len = static_cast<std::uint32_t>(count);
  keys_.append(word);
  ids_.insert(ids_.end(), ids, ids + count);
  ++used_;
}

}  // namespace socrates::tok
