// sft: supervised fine-tuning. The loss is the token cross-entropy of the response tokens,
// normalised over the response tokens of the whole global batch (so accumulation and the
// number of ranks leave it unchanged).
#include "socrates/objective.hpp"

namespace {

class Sft final : public socrates::Objective {
 public:
  explicit Sft(const socrates::PluginContext&) {}
  double units(const socrates::TokenBatch& batch) const override { return static_cast<double>(batch.loss_tokens); }
  at::Tensor loss_sum(socrates::ObjectiveModel& model, const socrates::TokenBatch& batch) override {
    return model.token_nll_sum(batch);
  }
};

}  // namespace

SOCRATES_PLUGIN(socrates::Objective, Sft, "sft", "1.0.0",
                "Supervised fine-tuning: cross-entropy on the response tokens, normalised over the global batch",
                SOCRATES_NO_OPTIONS);
