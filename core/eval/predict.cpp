#include "eval/predict.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include <ATen/core/grad_mode.h>

#include "eval/answer_parse.hpp"
#include "eval/option_scoring.hpp"
#include "io/splitmix.hpp"
#include "generate/generation.hpp"
#include "log/live_status.hpp"
#include "log/logging.hpp"
#include "socrates/error.hpp"

namespace socrates {

namespace {

using Clock = std::chrono::steady_clock;

/// "alpaca/1.0.0" from the format's fingerprint "alpaca/1.0.0:sha256:...".
std::string format_name(const PromptFormat& f) {
  const std::string fp = f.fingerprint();
  return "prompt format '" + fp.substr(0, fp.find(':')) + "'";
}

std::string row_name(const Example& ex) {
  return "sample_id " + std::to_string(ex.sample_id) + " (study " + (ex.study_id.empty() ? "?" : ex.study_id) + ")";
}

/// A training sequence split into its unlabelled prompt and its labelled answer.
struct Split {
  std::vector<std::int64_t> prompt, answer;
  bool truncated = false;
};

Split split_sequence(const PromptFormat& format, const BpeTokenizer& tok, const Example& ex, std::int64_t max_len) {
  const TokenizedExample te = format.tokenize(ex, tok, max_len);
  const std::string where = format_name(format) + ", " + row_name(ex) + ": ";
  if (te.labels.size() != te.input_ids.size())
    throw Error(where + "tokenize() returned " + std::to_string(te.labels.size()) + " labels for " +
                std::to_string(te.input_ids.size()) + " tokens");
  std::size_t first = 0;
  while (first < te.labels.size() && te.labels[first] == kIgnoreIndex) ++first;
  if (first == te.labels.size())
    throw Error(where + "the training sequence has no labelled (answer) tokens, so the answer cannot be scored");
  if (first == 0) throw Error(where + "the training sequence has no prompt: its first token is already labelled");
  Split s;
  s.truncated = te.truncated;
  for (std::size_t i = 0; i < first; ++i) s.prompt.push_back(te.input_ids[i]);
  for (std::size_t i = first; i < te.labels.size(); ++i) {
    if (te.labels[i] != te.input_ids[i])
      throw Error(where + "the labelled tokens are not one answer at the end of the sequence (token " +
                  std::to_string(i) + " has label " + std::to_string(te.labels[i]) + " but id " +
                  std::to_string(te.input_ids[i]) + ")");
    s.answer.push_back(te.input_ids[i]);
  }
  return s;
}

Example with_response(Example ex, std::int64_t k) {
  ex.response = k;
  return ex;
}

/// An answer to tokenize the prompt with when the example has none (the CLI): only the prompt
/// part is used.
std::int64_t placeholder_response(const Example& ex) {
  if (ex.response) return *ex.response;
  if (ex.scale_min) return static_cast<std::int64_t>(std::ceil(*ex.scale_min));
  return 0;
}


/// The seed of batch `index`: the index-th SplitMix64 output after `seed`.
std::uint64_t batch_seed(std::uint64_t seed, std::uint64_t index) {
  return splitmix64(seed + 0x9e3779b97f4a7c15ULL * index);
}

/// `idx` sorted by `lengths` (aligned with idx), stably, so batches pad little.
std::vector<std::size_t> by_length(const std::vector<std::size_t>& idx, const std::vector<std::size_t>& lengths) {
  std::vector<std::size_t> order(idx.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return lengths[a] < lengths[b]; });
  std::vector<std::size_t> out;
  for (std::size_t o : order) out.push_back(idx[o]);
  return out;
}

class Progress {
 public:
  explicit Progress(std::size_t total) : total_(total), start_(Clock::now()), last_(start_) {}
  void add(std::size_t n) {
    done_ += n;
    const auto now = Clock::now();
    const double rate = static_cast<double>(done_) / std::max(1e-9, std::chrono::duration<double>(now - start_).count());
    if (done_ == total_) {
      live_status_clear();
      return;
    }
    live_status(fmt::format("predict {} {}/{} rows | {:.1f} rows/s | ETA {}",
                            progress_bar(static_cast<double>(done_) / static_cast<double>(total_)), done_, total_, rate,
                            duration_text(static_cast<double>(total_ - done_) / std::max(1e-9, rate))));
    if (now - last_ < std::chrono::seconds(10)) return;
    last_ = now;
    const double s = std::chrono::duration<double>(now - start_).count();
    host_logger()->info("predict: {}/{} rows, {:.1f} rows/s, ETA {:.0f} s", done_, total_, done_ / s,
                        (total_ - done_) / std::max(1e-9, done_ / s));
  }

 private:
  std::size_t total_, done_ = 0;
  Clock::time_point start_, last_;
};

/// Everything one predict() call shares: inputs, outputs and running counters.
struct Run {
  const CausalLM& model;
  const PromptFormat& format;
  const BpeTokenizer& tok;
  const std::vector<Example>& examples;
  const PredictOptions& opts;
  Predictions& out;
  Progress progress;
  std::vector<std::int64_t> stop_ids;
  std::uint64_t batches = 0;  // sampled so far: the next batch's seed index
  double mass_sum = 0;        // sum of the distribution rows' valid mass
};

std::size_t batch_size(const PredictOptions& o) { return static_cast<std::size_t>(std::max<std::int64_t>(1, o.batch_size)); }

/// Samples an answer for the examples `idx` (any subset, e.g. one window), in batches of
/// similar prompt length.
void sample_rows(Run& run, const std::vector<std::size_t>& idx) {
  if (idx.empty()) return;
  std::vector<std::vector<std::int64_t>> prompts;
  std::vector<std::size_t> lengths, local(idx.size());
  for (std::size_t j = 0; j < idx.size(); ++j) {
    const Example& ex = run.examples[idx[j]];
    prompts.push_back(split_sequence(run.format, run.tok, with_response(ex, placeholder_response(ex)), run.opts.max_len).prompt);
    lengths.push_back(prompts.back().size());
  }
  std::iota(local.begin(), local.end(), 0);
  const std::vector<std::size_t> order = by_length(local, lengths);

  SamplingParams p;
  p.temperature = run.opts.temperature;
  p.top_p = run.opts.top_p;
  p.max_new_tokens = run.opts.max_new_tokens;
  p.stop_ids = run.stop_ids;
  const std::size_t bs = batch_size(run.opts);
  for (std::size_t start = 0; start < order.size(); start += bs) {
    const std::size_t end = std::min(order.size(), start + bs);
    std::vector<std::vector<std::int64_t>> batch_prompts;
    for (std::size_t j = start; j < end; ++j) batch_prompts.push_back(std::move(prompts[order[j]]));
    p.seed = batch_seed(run.opts.seed, run.batches++);
    const auto t0 = Clock::now();
    const Generation g = generate(run.model, batch_prompts, p);
    host_logger()->debug("predict: sampled {} prompts of {}..{} tokens in {:.3f} s", batch_prompts.size(),
                         batch_prompts.front().size(), batch_prompts.back().size(),
                         std::chrono::duration<double>(Clock::now() - t0).count());
    for (std::size_t j = start; j < end; ++j) {
      const std::size_t i = idx[order[j]];
      const auto& t = g.tokens[j - start];
      const std::string text = run.tok.decode(std::vector<std::int32_t>(t.begin(), t.end()), /*skip_special=*/true);
      PredictionRow& row = run.out.rows[i];
      row.prediction = parse_answer(text);
      row.parse_failed = !row.prediction;
      run.out.stats.parse_failures += row.parse_failed ? 1 : 0;
      run.out.texts[i] = text;
    }
    run.progress.add(end - start);
  }
}

/// The prompt shared by every answer of `ex` and each answer's labelled tokens.
OptionQuery option_query(const Run& run, const Example& ex, const std::vector<std::int64_t>& levels) {
  std::vector<Split> splits;
  bool truncated = false, differ = false;
  for (std::int64_t k : levels) {
    splits.push_back(split_sequence(run.format, run.tok, with_response(ex, k), run.opts.max_len));
    truncated |= splits.back().truncated;
    differ |= splits.back().prompt != splits.front().prompt;
  }
  if (differ && !truncated) {
    std::size_t k = 1;
    while (splits[k].prompt == splits[0].prompt) ++k;
    throw Error(format_name(run.format) + ", " + row_name(ex) + ": the prompt tokens before answer " +
                std::to_string(levels[k]) + " differ from those before answer " + std::to_string(levels[0]) +
                "; distribution mode needs a format whose prompt does not depend on the answer (use sample mode "
                "with this format)");
  }
  // A prompt cut to fit max_len is cut more for longer answers: score every answer after
  // the most truncated prompt, so that all answers share one prompt and all fit.
  std::size_t shortest = 0;
  for (std::size_t k = 1; k < splits.size(); ++k)
    if (splits[k].prompt.size() < splits[shortest].prompt.size()) shortest = k;
  OptionQuery q;
  q.prompt = std::move(splits[shortest].prompt);
  for (Split& s : splits) q.options.push_back(std::move(s.answer));
  return q;
}

/// Fills the distribution rows among `idx`; returns those that must be sampled instead.
std::vector<std::size_t> distribution_rows(Run& run, const std::vector<std::size_t>& idx) {
  std::vector<std::size_t> fallback, scored;
  std::vector<OptionQuery> queries;
  std::vector<std::vector<std::int64_t>> levels;
  std::vector<std::size_t> lengths;
  for (std::size_t i : idx) {
    std::vector<std::int64_t> lv = scale_levels(run.examples[i], run.opts.max_levels);
    if (lv.empty()) {
      fallback.push_back(i);
      continue;
    }
    queries.push_back(option_query(run, run.examples[i], lv));
    lengths.push_back(queries.back().prompt.size());
    levels.push_back(std::move(lv));
    scored.push_back(i);
  }
  std::vector<std::size_t> local(scored.size());
  std::iota(local.begin(), local.end(), 0);
  const std::vector<std::size_t> order = by_length(local, lengths);
  const std::size_t bs = batch_size(run.opts);
  for (std::size_t start = 0; start < order.size(); start += bs) {
    const std::size_t end = std::min(order.size(), start + bs);
    std::vector<OptionQuery> batch;
    for (std::size_t j = start; j < end; ++j) batch.push_back(std::move(queries[order[j]]));
    const std::vector<std::vector<double>> lp = score_options(run.model, batch);
    for (std::size_t j = start; j < end; ++j) {
      const std::size_t q = order[j];
      const std::vector<double>& l = lp[j - start];
      const double top = *std::max_element(l.begin(), l.end());
      double z = 0;
      for (double v : l) z += std::exp(v - top);
      const double lse = top + std::log(z);
      PredictionRow& row = run.out.rows[scored[q]];
      for (std::size_t k = 0; k < l.size(); ++k)
        row.distribution.emplace_back(static_cast<double>(levels[q][k]), std::exp(l[k] - lse));
      run.mass_sum += std::exp(lse);
      ++run.out.stats.distribution_rows;
    }
    run.progress.add(end - start);
  }
  return fallback;
}

}  // namespace

PredictionRow base_row(const Example& ex) {
  PredictionRow r;
  r.study_id = ex.study_id;
  r.condition_num = ex.condition_num;
  r.task_num = ex.task_num;
  r.participant = ex.participant;
  if (ex.response) r.response = static_cast<double>(*ex.response);
  r.scale_min = ex.scale_min;
  r.scale_max = ex.scale_max;
  r.demographic = ex.demographic;
  return r;
}

std::vector<std::int64_t> stop_token_ids(const CausalLM& model, const PromptFormat& format, const BpeTokenizer& tok) {
  std::vector<std::int64_t> ids = model.config().eos_token_ids;
  for (const std::string& s : format.stop_strings())
    if (auto id = tok.token_id(s))
      if (std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
  return ids;
}

std::vector<std::int64_t> scale_levels(const Example& ex, std::int64_t max_levels) {
  if (!ex.scale_min || !ex.scale_max || !std::isfinite(*ex.scale_min) || !std::isfinite(*ex.scale_max)) return {};
  const double lo = std::ceil(*ex.scale_min), hi = std::floor(*ex.scale_max);
  if (hi < lo || hi - lo + 1 > static_cast<double>(max_levels)) return {};
  std::vector<std::int64_t> out;
  for (auto k = static_cast<std::int64_t>(lo); k <= static_cast<std::int64_t>(hi); ++k) out.push_back(k);
  return out;
}

Predictions predict(const CausalLM& model, const PromptFormat& format, const BpeTokenizer& tok,
                    const std::vector<Example>& examples, const PredictOptions& opts) {
  if (opts.max_new_tokens < 1 && opts.mode == PredictMode::sample)
    throw Error("predict: max_new_tokens must be at least 1, got " + std::to_string(opts.max_new_tokens));
  at::NoGradGuard no_grad;
  const auto start = Clock::now();
  Predictions out;
  for (const Example& ex : examples) out.rows.push_back(base_row(ex));
  out.texts.assign(examples.size(), "");
  out.stats.rows = static_cast<std::int64_t>(examples.size());
  Run run{model, format, tok, examples, opts, out, Progress(examples.size()), stop_token_ids(model, format, tok)};

  // Windows of rows, so that only a window's token ids are held at once; within a window,
  // rows are batched by prompt length.
  const std::size_t window = batch_size(opts) * 64;
  for (std::size_t w = 0; w < examples.size(); w += window) {
    std::vector<std::size_t> idx(std::min(window, examples.size() - w));
    std::iota(idx.begin(), idx.end(), w);
    if (opts.mode == PredictMode::distribution) {
      idx = distribution_rows(run, idx);
      out.stats.fallback_rows += static_cast<std::int64_t>(idx.size());
    }
    sample_rows(run, idx);
  }
  if (out.stats.distribution_rows > 0)
    out.stats.mean_valid_mass = run.mass_sum / static_cast<double>(out.stats.distribution_rows);

  out.stats.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (out.stats.seconds > 0) out.stats.predictions_per_second = static_cast<double>(out.stats.rows) / out.stats.seconds;
  return out;
}

}  // namespace socrates
