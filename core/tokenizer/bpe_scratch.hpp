// Per-thread scratch buffers of the BPE merge loop (no allocation per word once warm).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace socrates::tok {

struct BpeScratch {
  std::vector<std::int32_t> syms;
  std::vector<std::int32_t> ranks;
  std::vector<std::int32_t> new_ids;
  std::string text;
  struct Sym {
    std::int32_t id, prev, next;
    bool alive;
  };
  struct Cand {
    std::int32_t rank, pos, new_id;
    bool operator<(const Cand& o) const {  // std heap is a max-heap: lowest (rank, pos) on top
      return rank != o.rank ? rank > o.rank : pos > o.pos;
    }
  };
  std::vector<Sym> list;
  std::vector<Cand> heap;
};

/// This thread's scratch.
inline BpeScratch& bpe_scratch() {
  thread_local BpeScratch s;
  return s;
}

}  // namespace socrates::tok
