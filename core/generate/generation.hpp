// Batched autoregressive generation with a KV cache: greedy, temperature, top-k, top-p.
#pragma once

#include <cstdint>
#include <vector>

#include "model/causal_lm.hpp"

namespace socrates {

struct SamplingParams {
  double temperature = 0.0;  // 0 = greedy
  double top_p = 1.0;        // nucleus: smallest set with cumulative probability >= top_p
  std::int64_t top_k = 0;    // 0 = no limit
  std::int64_t max_new_tokens = 64;
  std::vector<std::int64_t> stop_ids;  // generation of a sequence ends after one of these
  std::uint64_t seed = 0;              // same seed, same prompts -> same tokens
};

struct Generation {
  std::vector<std::vector<std::int64_t>> tokens;  // new tokens per prompt (stop token included)
  std::vector<bool> stopped;                      // ended on a stop token (not on max_new_tokens)
};

/// Generates a continuation of every prompt (token ids, any lengths; left-padded
/// internally). Runs without autograd.
Generation generate(const CausalLM& model, const std::vector<std::vector<std::int64_t>>& prompts,
                    const SamplingParams& params);

/// Picks the next token of each row of `logits` [B, vocab] (float32, on any device) per
/// `params`, drawing uniforms from the CPU generator `gen`; returns the ids on that device.
/// Exposed for tests.
at::Tensor sample_next(const at::Tensor& logits, const SamplingParams& params, at::Generator& gen);

}  // namespace socrates
