#include "train/objective_model.hpp"

#include <ATen/TensorOperators.h>
#include <ATen/core/Reduction.h>
#include <ATen/ops/cross_entropy_loss.h>
#include <ATen/ops/floor_divide.h>
#include <ATen/ops/nonzero.h>
#include <ATen/ops/zeros.h>

#include "model/device_copy.hpp"
#include "model/loss.hpp"
#include "socrates/error.hpp"

namespace socrates {

at::Tensor CausalLmObjectiveModel::token_nll_sum(const TokenBatch& batch) {
  return causal_lm_loss(model_, model_.forward(batch.input_ids), batch.labels).sum;
}

at::Tensor CausalLmObjectiveModel::sequence_nll(const TokenBatch& batch, bool reference) {
  if (reference) {
    throw Error("this objective asks for reference-model log-probabilities, but the adapter interface cannot switch "
                "the adapter off yet; use an objective without a reference model (sft)");
  }
  const at::Tensor hidden = model_.forward(batch.input_ids);
  const std::int64_t B = hidden.size(0), T = hidden.size(1);
  at::Tensor targets = batch.labels.narrow(1, 1, T - 1).flatten();
  at::Tensor idx = targets.ne(-100).nonzero().squeeze(1);  // on the host: no wait for the GPU
  at::Tensor t = to_device_async(targets.index_select(0, idx), hidden.device());
  idx = to_device_async(idx, hidden.device());
  at::Tensor h = hidden.narrow(1, 0, T - 1).reshape({-1, hidden.size(2)}).index_select(0, idx);
  at::Tensor nll = at::cross_entropy_loss(model_.logits(h).to(at::kFloat), t, std::nullopt, at::Reduction::None);
  at::Tensor row = at::floor_divide(idx, T - 1);
  return at::zeros({B}, nll.options()).index_add(0, row, nll);
}

}  // namespace socrates
