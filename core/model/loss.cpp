#include "model/loss.hpp"

#include <ATen/TensorOperators.h>
#include <ATen/ops/cross_entropy_loss.h>
#include <ATen/core/Reduction.h>
#include <ATen/ops/nonzero.h>

#include "model/causal_lm.hpp"

namespace socrates {

LossSum causal_lm_loss(const CausalLM& model, const at::Tensor& hidden, const at::Tensor& labels) {
  const std::int64_t T = hidden.size(1);
  at::Tensor targets = labels.to(hidden.device()).narrow(1, 1, T - 1);
  at::Tensor keep = targets.ne(-100);
  at::Tensor idx = keep.flatten().nonzero().squeeze(1);
  at::Tensor h = hidden.narrow(1, 0, T - 1).reshape({-1, hidden.size(2)}).index_select(0, idx);
  at::Tensor logits = model.logits(h).to(at::kFloat);
  at::Tensor t = targets.flatten().index_select(0, idx);
  LossSum out;
  out.tokens = idx.size(0);
  out.sum = at::cross_entropy_loss(logits, t, std::nullopt, at::Reduction::Sum);
  return out;
}

}  // namespace socrates
