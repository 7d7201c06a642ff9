// Concern: objective. What one training step minimises. The trainer hands every
// micro-batch to the objective and normalises over the global batch:
//
//   units = all_reduce_sum(sum over this rank's micro-batches of objective.units(mb))
//   for each micro-batch mb:  (objective.loss_sum(model, mb) / units).backward()
//   reported loss = all_reduce_sum(sum of loss_sum) / units
//
// so gradient accumulation and the number of ranks never change the loss. SFT is token
// cross-entropy over the response tokens (units = response tokens). A preference objective
// (DPO) reads pairs of rows (`pair` below) and uses reference log-probabilities.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

#include "socrates/plugin.hpp"

namespace socrates {

/// One micro-batch of token sequences, on the training device.
struct TokenBatch {
  at::Tensor input_ids;  // [B, T] int64, right-padded
  at::Tensor labels;     // [B, T] int64; -100 where no loss is taken (prompt, padding)
  std::int64_t loss_tokens = 0;  // labels != -100, after the shift by one
  /// For objectives over pairs: row i's partner row, or -1. Empty for single sequences.
  std::vector<std::int64_t> pair;
};

/// The model as an objective sees it.
class SOCRATES_API ObjectiveModel {
 public:
  virtual ~ObjectiveModel() = default;
  /// Summed token cross-entropy (float32 scalar, differentiable) of `labels` shifted by one,
  /// as transformers computes it, over the positions not labelled -100.
  virtual at::Tensor token_nll_sum(const TokenBatch& batch) = 0;
  /// Per-sequence summed NLL [B] (float32). `reference`: the frozen base model (adapter
  /// off, no gradient), for objectives that regularise towards it.
  virtual at::Tensor sequence_nll(const TokenBatch& batch, bool reference) = 0;
};

class SOCRATES_API Objective : public Component {
 public:
  static constexpr const char* kConcern = "objective";

  /// What this micro-batch adds to the global normaliser (SFT: its response tokens).
  virtual double units(const TokenBatch& batch) const = 0;
  /// The micro-batch's summed loss (float32 scalar with gradient); the trainer divides it by
  /// the global units before backward.
  virtual at::Tensor loss_sum(ObjectiveModel& model, const TokenBatch& batch) = 0;
};

}  // namespace socrates
