// The BPE merge loop: repeatedly merge the adjacent pair with the lowest merge rank (the
// leftmost one on ties), as HF's Word::merge_all does.
#include <algorithm>
#include <climits>
#include <cstring>

#include "tokenizer/bpe_model.hpp"
#include "tokenizer/bpe_scratch.hpp"

namespace socrates::tok {

namespace {
constexpr std::size_t kSmallWord = 96;  // up to this many symbols a linear scan beats the heap
}  // namespace

void BpeModel::merge_small(std::vector<std::int32_t>& syms) const {
  auto& sc = bpe_scratch();
  std::size_t n = syms.size();
  std::int32_t* s = syms.data();
  sc.ranks.resize(n);
  sc.new_ids.resize(n);
  std::int32_t* rank = sc.ranks.data();
  std::int32_t* nid = sc.new_ids.data();
  auto pair = [&](std::size_t i) {
    const PairMap::Value* v = merges_.find(s[i], s[i + 1]);
    rank[i] = v ? v->rank : INT32_MAX;
    nid[i] = v ? v->id : -1;
  };
  for (std::size_t i = 0; i + 1 < n; ++i) pair(i);
  while (n > 1) {
    std::size_t best = 0;
    std::int32_t best_rank = rank[0];
    for (std::size_t i = 1; i + 1 < n; ++i)
      if (rank[i] < best_rank) {
        best_rank = rank[i];
        best = i;
      }
    if (best_rank == INT32_MAX) break;
    s[best] = nid[best];
    // Drop symbol best+1 and pair best+1's slot.
    const std::size_t tail = n - best - 2;
    if (tail) {
      std::memmove(s + best + 1, s + best + 2, tail * sizeof(std::int32_t));
      std::memmove(rank + best + 1, rank + best + 2, tail * sizeof(std::int32_t));
      std::memmove(nid + best + 1, nid + best + 2, tail * sizeof(std::int32_t));
    }
    --n;
    if (best > 0) pair(best - 1);
    if (best + 1 < n) pair(best);
  }
  syms.resize(n);
}

void BpeModel::merge_large(std::vector<std::int32_t>& syms) const {
  // HF's Word::merge_all: a heap of candidate merges ordered by (rank, position) over a
  // linked list of symbols; stale candidates are skipped when popped.
  auto& sc = bpe_scratch();
  const auto n = static_cast<std::int32_t>(syms.size());
  auto& list = sc.list;
  list.resize(static_cast<std::size_t>(n));
  for (std::int32_t i = 0; i < n; ++i) list[i] = {syms[i], i - 1, i + 1 < n ? i + 1 : -1, true};
  auto& heap = sc.heap;
  heap.clear();
  for (std::int32_t i = 0; i + 1 < n; ++i)
    if (const auto* v = merges_.find(list[i].id, list[i + 1].id)) heap.push_back({v->rank, i, v->id});
  std::make_heap(heap.begin(), heap.end());
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end());
    const auto top = heap.back();
    heap.pop_back();
    auto& cur = list[top.pos];
    if (!cur.alive || cur.next < 0) continue;
    const auto next = cur.next;
    const auto* v = merges_.find(cur.id, list[next].id);
    if (!v || v->id != top.new_id) continue;
    cur.id = top.new_id;
    list[next].alive = false;
    cur.next = list[next].next;
    if (cur.next >= 0) list[cur.next].prev = top.pos;
    if (cur.prev >= 0)
      if (const auto* p = merges_.find(list[cur.prev].id, cur.id)) {
        heap.push_back({p->rank, cur.prev, p->id});
        std::push_heap(heap.begin(), heap.end());
      }
    if (cur.next >= 0)
      if (const auto* p = merges_.find(cur.id, list[cur.next].id)) {
        heap.push_back({p->rank, top.pos, p->id});
        std::push_heap(heap.begin(), heap.end());
      }
  }
  syms.clear();
  for (std::int32_t i = 0; i >= 0 && i < n; i = list[i].next) syms.push_back(list[i].id);
}

void BpeModel::merge(std::vector<std::int32_t>& syms) const {
  if (syms.size() < 2) return;
  if (syms.size() <= kSmallWord) merge_small(syms);
  else merge_large(syms);
}

}  // namespace socrates::tok
