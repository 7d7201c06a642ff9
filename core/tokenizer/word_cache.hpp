// Cache of word -> token ids for one tokenizer on one thread (no locking needed). Bounded:
// it is cleared when full. Keys and ids live in two arenas; the table holds offsets.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace socrates::tok {

std::uint64_t hash_bytes(std::string_view s);

class WordCache {
 public:
  static constexpr std::size_t kMaxWordBytes = 256;  // longer words are not cached

  explicit WordCache(std::size_t slots = 1 << 17);

  /// Ids cached for `word` (pointer and count), or nullptr.
  const std::int32_t* find(std::string_view word, std::uint64_t hash, std::size_t& count) const {
    std::size_t i = hash & mask_;
    for (;;) {
      const Slot& s = slots_[i];
      if (s.ids_len == kEmpty) return nullptr;
      if (s.hash == hash && s.key_len == word.size() && std::memcmp(keys_.data() + s.key_off, word.data(), word.size()) == 0) {
        count = s.ids_len;
        return ids_.data() + s.ids_off;
      }
      i = (i + 1) & mask_;
    }
  }

  void insert(std::string_view word, std::uint64_t hash, const std::int32_t* ids, std::size_t count);

 private:
  static constexpr std::uint32_t kEmpty = 0xFFFFFFFFu;
  struct Slot {
    std::uint64_t hash = 0;
    std::uint32_t key_off = 0, key_len = 0, ids_off = 0, ids_len = kEmpty;
  };
  void clear();

  std::vector<Slot> slots_;
  std::size_t mask_;
  std::size_t used_ = 0;
  std::string keys_;
  std::vector<std::int32_t> ids_;
};

}  // namespace socrates::tok
