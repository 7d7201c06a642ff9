// The LM head and the cross-entropy in one pass over row chunks: the [N, vocab] float32 logits
// (1.2 GiB for 2,048 labelled tokens of a 152k vocabulary) never exist whole.
#pragma once

#include <ATen/core/Tensor.h>

namespace socrates {

/// sum_i cross_entropy(float(h_i · wᵀ), targets_i) over the rows of h [N, hidden], `rows` rows
/// at a time (0: as many as fit 256 MiB of float32 logits). w [vocab, hidden] must not require
/// grad (throws otherwise). When h requires grad, its gradient is computed in the same pass: the
/// loss is a sum, so backward only scales it, and no logits are kept for backward.
at::Tensor chunked_linear_cross_entropy(const at::Tensor& h, const at::Tensor& w, const at::Tensor& targets,
                                        std::int64_t rows = 0);

}  // namespace socrates
