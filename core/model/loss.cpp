#include "model/loss.hpp"

#include <ATen/TensorOperators.h>
#include <ATen/ops/cross_entropy_loss.h>
#include <ATen/core/Reduction.h>
#include <ATen/ops/nonzero.h>

#include "model/causal_lm.hpp"
#include "model/chunked_cross_entropy.hpp"
#include "model/device_copy.hpp"

namespace socrates {

LossSum causal_lm_loss(const CausalLM& model, const at::Tensor& hidden, const at::Tensor& labels) {
  const std::int64_t T = hidden.size(1);
  // Which positions count is found where the labels are (the host, in training), so that
  // nonzero's size does not wait for the GPU; then the indices travel without a sync.
  at::Tensor targets = labels.narrow(1, 1, T - 1).flatten();
  at::Tensor idx = targets.ne(-100).nonzero().squeeze(1);
  at::Tensor t = to_device_async(targets.index_select(0, idx), hidden.device());
  idx = to_device_async(idx, hidden.device());
  at::Tensor h = hidden.narrow(1, 0, T - 1).reshape({-1, hidden.size(2)}).index_select(0, idx);
  LossSum out;
  out.tokens = idx.size(0);
  // A trainable head (full fine-tuning of tied embeddings) takes the unfused path for its gradient.
  const at::Tensor& w = model.lm_head_weight();
  out.sum = w.requires_grad() ? at::cross_entropy_loss(model.logits(h).to(at::kFloat), t, std::nullopt, at::Reduction::Sum)
                              : chunked_linear_cross_entropy(h, w, t);
  return out;
}

}  // namespace socrates
