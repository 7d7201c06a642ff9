#include "tokenizer/pair_map.hpp"

namespace socrates::tok {

void PairMap::rehash(std::size_t capacity) {
  std::vector<Entry> old;
  old.swap(entries_);
  entries_.assign(capacity, Entry{kEmpty, {}});
  mask_ = capacity - 1;
  shift_ = 64 - static_cast<unsigned>(__builtin_ctzll(capacity));
  size_ = 0;
  for (const Entry& e : old)
    if (e.key != kEmpty) insert(static_cast<std::int32_t>(e.key >> 32), static_cast<std::int32_t>(e.key & 0xFFFFFFFFu), e.value);
}

void PairMap::reserve(std::size_t n) {
  std::size_t cap = 16;
  while (cap < n * 2) cap <<= 1;  // load factor <= 0.5
  if (cap > entries_.size()) rehash(cap);
}

void PairMap::insert(std::int32_t left, std::int32_t right, Value v) {
  if ((size_ + 1) * 2 > entries_.size()) rehash(entries_.empty() ? 16 : entries_.size() * 2);
  const std::uint64_t key = pack(left, right);
  std::size_t i = slot(key);
  while (entries_[i].key != kEmpty) {
    if (entries_[i].key == key) {
      entries_[i].value = v;
      return;
    }
    i = (i + 1) & mask_;
  }
  entries_[i] = Entry{key, v};
  ++size_;
}

}  // namespace socrates::tok
