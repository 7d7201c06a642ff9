// Causal-LM cross-entropy on the labelled positions only.
#pragma once

#include <ATen/core/Tensor.h>

namespace socrates {

class CausalLM;

struct LossSum {
  at::Tensor sum;          // scalar float32: summed token cross-entropy
  std::int64_t tokens = 0;  // number of labelled tokens
};

/// Token cross-entropy of `labels` [B, T] given the final hidden states [B, T, hidden],
/// shifted by one as transformers does (hidden[t] predicts labels[t+1]); positions
/// labelled -100 are ignored. Logits are computed only at labelled positions, in float32, a
/// chunk of rows at a time (chunked_linear_cross_entropy) unless the LM head is trainable.
LossSum causal_lm_loss(const CausalLM& model, const at::Tensor& hidden, const at::Tensor& labels);

}  // namespace socrates
