// Sanity checks that run before every training run, and `socrates data inspect` output.
#pragma once

#include <string>

#include "data/token_cache.hpp"

namespace socrates {

/// Fails fast (socrates::Error naming the example and the reason) on: an example with no
/// loss tokens (fully masked), a missing or empty response, loss tokens that do not decode
/// to the rendered response (a wrong field), a response outside the stated scale.
/// Examples are checked all for masks, and up to `deep_limit` of them (spread evenly) by
/// decoding. Returns warnings (e.g. every response identical).
std::vector<std::string> check_examples(const Dataset& data, Partition part, const TokenizedSet& set,
                                        const PromptFormat& format, const Tokenizer& tok,
                                        std::size_t deep_limit = 2000);

/// Example i rendered for people: metadata, prompt, ids, and the tokens that carry loss.
std::string render_example(const Dataset& data, Partition part, std::size_t i, const TokenizedSet& set,
                           const Tokenizer& tok);

/// Rows, studies, prompt and response lengths, truncations, and the batching's padding ratio.
std::string dataset_stats(const Dataset& data, Partition part, const TokenizedSet& set, double padding_ratio);

}  // namespace socrates
