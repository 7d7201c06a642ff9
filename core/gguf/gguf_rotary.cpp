#include "gguf/gguf_rotary.hpp"

#include <stdexcept>
#include <string>

namespace socrates::gguf {

namespace {

// Splits dim 0 into (n_head, a, b) with a * b = head size, swaps a and b, and flattens back.
at::Tensor swap_within_heads(const at::Tensor& w, std::int64_t n_head, bool to_gguf) {
  const std::int64_t rows = w.size(0);
  if (n_head <= 0 || rows % n_head != 0 || (rows / n_head) % 2 != 0)
    throw std::invalid_argument("rotary permutation: " + std::to_string(rows) + " rows are not " +
                                std::to_string(n_head) + " heads of an even size");
  const std::int64_t half = rows / n_head / 2;
  const std::int64_t a = to_gguf ? 2 : half, b = to_gguf ? half : 2;
  return w.reshape({n_head, a, b, -1}).transpose(1, 2).reshape(w.sizes()).contiguous();
}

}  // namespace

at::Tensor permute_rotary(const at::Tensor& w, std::int64_t n_head) { return swap_within_heads(w, n_head, true); }

at::Tensor unpermute_rotary(const at::Tensor& w, std::int64_t n_head) { return swap_within_heads(w, n_head, false); }

}  // namespace socrates::gguf
