// Model predictions for evaluation: one answer per example, either sampled (the paper's
// protocol) or as the exact probability of every valid answer of the example's scale.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "model/causal_lm.hpp"
#include "socrates/evaluator.hpp"
#include "socrates/example.hpp"
#include "socrates/prompt_format.hpp"
#include "tokenizer/bpe_tokenizer.hpp"

namespace socrates {

struct PredictStats {
  std::int64_t rows = 0, parse_failures = 0, distribution_rows = 0, fallback_rows = 0;
  double seconds = 0;
  double predictions_per_second = 0;
  /// Distribution mode: mean over the distribution rows of the probability the model puts on
  /// all valid answers together (before renormalising); 0 when there are none.
  double mean_valid_mass = 0;
};

struct Predictions {
  std::vector<PredictionRow> rows;  // one per example, in the examples' order
  std::vector<std::string> texts;   // the raw sampled text; "" for distribution rows
  PredictStats stats;
};

/// Predicts an answer for every example. Each row copies study_id, condition_num, task_num,
/// participant, response (the human answer), demographic and the scale from its example.
///
/// sample: batched generation (stop on the model's EOS and the format's stop strings), the
/// text decoded without special tokens and read with parse_answer(); a row that does not
/// parse has parse_failed = true and no prediction. Same seed and examples -> same answers.
///
/// distribution: for each integer k of [scale_min, scale_max], the probability of the tokens
/// the format trains the model to produce for answer k (format.tokenize with response = k:
/// the labelled tokens, i.e. answer and end-of-turn), renormalised over the valid answers into
/// `distribution`. Rows without a known scale, or with more than max_levels levels, are
/// sampled instead (stats.fallback_rows).
///
/// Both modes read the prompt as the unlabelled part of format.tokenize(), so long prompts are
/// cut exactly as in training. Runs without autograd on the model's device and dtype.
/// Throws socrates::Error naming the prompt format when its sequences cannot be split into
/// a prompt shared by all answers and a labelled answer.
/// A row for `ex` with everything but the prediction.
PredictionRow base_row(const Example& ex);

Predictions predict(const CausalLM& model, const PromptFormat& format, const BpeTokenizer& tok,
                    const std::vector<Example>& examples, const PredictOptions& opts);

/// The stop token ids used in sample mode: the model's EOS ids and those of the format's
/// stop strings that are tokens of `tok`.
std::vector<std::int64_t> stop_token_ids(const CausalLM& model, const PromptFormat& format, const BpeTokenizer& tok);

/// The integer answers of an example's scale (ceil(scale_min) .. floor(scale_max)), or empty
/// when the scale is unknown, empty, or has more than `max_levels` levels.
std::vector<std::int64_t> scale_levels(const Example& ex, std::int64_t max_levels);

}  // namespace socrates
