// Checking the prompt format against the tokenizer before any work starts, so that `validate`
// (and `run`, before it creates a run directory) rejects what tokenizing the data would: an
// end-of-turn token the tokenizer lacks, a max_seq_len too small for the answer.
#pragma once

#include "config/experiment.hpp"

namespace socrates {

/// Tokenizes one complete sample example (every demographic field, a stimulus with its
/// answer-format sentence, a response) with the experiment's [prompt] plugin, tokenizer and
/// max_seq_len. Throws ConfigError naming the plugin, the tokenizer and the plugin's reason.
/// Does nothing when the experiment has no [prompt] or its tokenizer file does not exist (yet).
void probe_prompt_format(const Experiment& exp);

}  // namespace socrates
