// Predictions spread over the ranks: rank r predicts examples r, r + W, r + 2W, ...; the
// results are all-reduced so that every rank ends with every row, in the examples' order.
// No rank waits on another's work alone, so no collective sits idle long enough for a
// watchdog to fire, and W ranks predict about W times faster.
#pragma once

#include "eval/predict.hpp"
#include "socrates/parallelism.hpp"

namespace socrates {

/// Like predict(), over all ranks of `par`. With one rank it is predict() itself.
Predictions predict_sharded(const CausalLM& model, const PromptFormat& format, const BpeTokenizer& tok,
                            const std::vector<Example>& examples, const PredictOptions& opts, Parallelism& par);

}  // namespace socrates
