// Exact log-probabilities of a few candidate continuations (the answer options) after a
// prompt, with the prompt computed once and shared by all of its options.
#pragma once

#include <cstdint>
#include <vector>

#include "model/causal_lm.hpp"

namespace socrates {

struct OptionQuery {
  std::vector<std::int64_t> prompt;                // prompt token ids; not empty
  std::vector<std::vector<std::int64_t>> options;  // each option's token ids; none empty
};

/// log P(option | prompt) for every option of every query: the sum of the log-probabilities
/// of the option's tokens, each given the prompt and the option's earlier tokens. Float64
/// results; the log-softmax is computed in float32 whatever the model's dtype.
///
/// One forward over the prompts of all queries (left-padded to a common length) fills a KV
/// cache. The options are then scored in chunks of rows (all options of all queries,
/// flattened): each chunk copies the cache rows of its options' prompts and runs one forward
/// over the options' tokens (right-padded; padded positions are never scored). A chunk holds
/// as many rows as fit `max_cache_positions` cached positions (rows x (prompt + option
/// length)), at least one. Runs without autograd on the model's device.
std::vector<std::vector<double>> score_options(const CausalLM& model, const std::vector<OptionQuery>& queries,
                                               std::int64_t max_cache_positions);

}  // namespace socrates
