// llama.cpp's convert_hf_to_gguf.py reorders the rows of Llama's q and k projections so that
// ggml's rotary embedding, which rotates adjacent pairs (x0, x1), (x2, x3), ..., matches
// transformers' rotate_half, which rotates (x_i, x_{i + d/2}). Per head of d rows:
//   permute(w, n_head) = w.reshape(n_head, 2, d/2, ...).swapaxes(1, 2).reshape(w.shape)
// (LlamaModel.permute; k uses n_head = head_count_kv). unpermute undoes it. Qwen2 files are
// not permuted.
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>

namespace socrates::gguf {

/// As convert_hf_to_gguf.py does (Hugging Face order → GGUF order), over dim 0 of a weight
/// [n_head * d, in] or a bias [n_head * d]. Throws std::invalid_argument when dim 0 is not
/// n_head times an even head size.
at::Tensor permute_rotary(const at::Tensor& w, std::int64_t n_head);

/// The inverse: GGUF order → Hugging Face order.
at::Tensor unpermute_rotary(const at::Tensor& w, std::int64_t n_head);

}  // namespace socrates::gguf
