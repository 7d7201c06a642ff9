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
/// cache; each option's first token is scored from the prompt's last position. The later
/// tokens of all options of a query are packed into one row after its prompt and run in one
/// forward on top of that cache, with a mask under which each option sees its prompt and its
/// own earlier tokens only: no cache is copied, and the cache holds batch x (prompt + packed
/// options) positions. Runs without autograd on the model's device.
std::vector<std::vector<double>> score_options(const CausalLM& model, const std::vector<OptionQuery>& queries);

}  // namespace socrates
