// Which examples go into which micro-batch of which step, for this rank.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "data/token_cache.hpp"

namespace socrates {

struct BatchPlanOptions {
  std::int64_t global_batch = 256;  // sequences per optimizer step over all ranks
  std::int64_t micro_batch = 8;     // sequences per forward/backward
  int rank = 0;
  int world = 1;
  std::uint64_t seed = 0;
  double epochs = 1.0;
  std::int64_t max_steps = 0;  // 0: from epochs
  bool length_bucketing = true;
};

/// steps[s] = the micro-batches (lists of example indices) of this rank in step s.
/// Every rank gets disjoint examples; a step's micro-batches on all ranks together hold at
/// most global_batch examples (the last step of an epoch may hold fewer). The order is a
/// pure function of the options, so a resumed run continues with the same data.
struct BatchPlan {
  std::vector<std::vector<std::vector<std::size_t>>> steps;
  std::int64_t steps_per_epoch = 0;
  double padding_ratio = 0.0;  // padded slots / all slots over every rank's micro-batches
  /// sha256 over every example index of every micro-batch (of all ranks, in global order) of
  /// every step: the data order, the same for any number of ranks.
  std::string order_sha256;
};

BatchPlan plan_batches(const TokenizedSet& set, const BatchPlanOptions& opts);

/// A padded micro-batch: input_ids and labels [b, L] (labels -100 on padding and prompt).
struct MicroBatch {
  at::Tensor input_ids;
  at::Tensor labels;
  std::int64_t loss_tokens = 0;  // labelled tokens after the one-position shift
  std::int64_t tokens = 0;       // real (unpadded) tokens
};

MicroBatch collate(const TokenizedSet& set, const std::vector<std::size_t>& examples, std::int32_t pad_id);

/// Labelled tokens (after the shift) of an example: what it contributes to the loss.
std::int64_t loss_tokens(const TokenizedSet& set, std::size_t i);

}  // namespace socrates
