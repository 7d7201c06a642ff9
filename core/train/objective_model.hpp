// The decoder as an objective plugin sees it (socrates/objective.hpp).
#pragma once

#include "model/causal_lm.hpp"
#include "socrates/objective.hpp"

namespace socrates {

class CausalLmObjectiveModel final : public ObjectiveModel {
 public:
  explicit CausalLmObjectiveModel(const CausalLM& model) : model_(model) {}
  at::Tensor token_nll_sum(const TokenBatch& batch) override;
  /// `reference` needs the adapter switched off, which the adapter interface cannot do yet:
  /// it throws socrates::Error saying so.
  at::Tensor sequence_nll(const TokenBatch& batch, bool reference) override;

 private:
  const CausalLM& model_;
};

}  // namespace socrates
