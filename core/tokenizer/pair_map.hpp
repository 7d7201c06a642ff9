// Open-addressing hash map from a pair of token ids to (merge rank, merged id): the BPE
// merge table. Read-only after build; lookups are one multiply and a short linear probe.
#pragma once

#include <cstdint>
#include <vector>

namespace socrates::tok {

class PairMap {
 public:
  struct Value {
    std::int32_t rank = -1;
    std::int32_t id = -1;
  };

  void reserve(std::size_t n);
  /// A pair inserted twice keeps the last value, as HF's merge map (collected from the list) does.
  void insert(std::int32_t left, std::int32_t right, Value v);
  std::size_t size() const { return size_; }

  /// The merge of (left, right), or nullptr.
  const Value* find(std::int32_t left, std::int32_t right) const {
    const std::uint64_t key = pack(left, right);
    std::size_t i = slot(key);
    for (;;) {
      const Entry& e = entries_[i];
      if (e.key == key) return &e.value;
      if (e.key == kEmpty) return nullptr;
      i = (i + 1) & mask_;
    }
  }

 private:
  struct Entry {
    std::uint64_t key;
    Value value;
  };
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};
  static std::uint64_t pack(std::int32_t l, std::int32_t r) {
    return (std::uint64_t(std::uint32_t(l)) << 32) | std::uint32_t(r);
  }
  std::size_t slot(std::uint64_t key) const {
    return static_cast<std::size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  void rehash(std::size_t capacity);

  std::vector<Entry> entries_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64;
  std::size_t size_ = 0;
};

}  // namespace socrates::tok
