// Per-layer key/value cache for incremental decoding.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace socrates {

struct KVCache {
  std::vector<at::Tensor> k;  // per layer [B, kv_heads, capacity, head_dim]
  std::vector<at::Tensor> v;
  std::int64_t length = 0;    // positions filled so far (equal for every sequence)
  at::Tensor key_valid;       // [B, capacity] bool: false on left padding; undefined = all valid

  std::int64_t capacity() const { return k.empty() ? 0 : k[0].size(2); }
};

}  // namespace socrates
