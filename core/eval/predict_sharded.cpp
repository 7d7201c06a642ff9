#include "eval/predict_sharded.hpp"

#include <cmath>
#include <limits>

#include <ATen/ops/zeros.h>

namespace socrates {

namespace {

// One row's prediction as doubles: [has_prediction, prediction, parse_failed, K, (answer,
// probability) x K, text length, text bytes...]. Bytes and counts are exact in a double.
void encode(const PredictionRow& r, const std::string& text, std::vector<double>& out) {
  out.push_back(r.prediction ? 1.0 : 0.0);
  out.push_back(r.prediction.value_or(0.0));
  out.push_back(r.parse_failed ? 1.0 : 0.0);
  out.push_back(static_cast<double>(r.distribution.size()));
  for (const auto& [a, p] : r.distribution) {
    out.push_back(a);
    out.push_back(p);
  }
  out.push_back(static_cast<double>(text.size()));
  for (unsigned char c : text) out.push_back(c);
}

void decode(const double* v, PredictionRow& r, std::string& text) {
  if (v[0] != 0.0) r.prediction = v[1];
  r.parse_failed = v[2] != 0.0;
  const auto k = static_cast<std::size_t>(v[3]);
  v += 4;
  for (std::size_t i = 0; i < k; ++i, v += 2) r.distribution.emplace_back(v[0], v[1]);
  const auto n = static_cast<std::size_t>(v[0]);
  text.resize(n);
  for (std::size_t i = 0; i < n; ++i) text[i] = static_cast<char>(static_cast<unsigned char>(v[1 + i]));
}

}  // namespace

Predictions predict_sharded(const CausalLM& model, const PromptFormat& format, const BpeTokenizer& tok,
                            const std::vector<Example>& examples, const PredictOptions& opts, Parallelism& par) {
  const std::size_t world = static_cast<std::size_t>(par.world_size()), rank = static_cast<std::size_t>(par.rank());
  if (world == 1) return predict(model, format, tok, examples, opts);
  std::vector<Example> mine;
  for (std::size_t i = rank; i < examples.size(); i += world) mine.push_back(examples[i]);
  // Each rank samples with its own seed, so shards do not repeat each other's draws.
  PredictOptions o = opts;
  o.seed = opts.seed + 1000003ULL * rank;
  Predictions local = predict(model, format, tok, mine, o);

  const auto n = static_cast<std::int64_t>(examples.size());
  std::vector<std::vector<double>> blobs(mine.size());
  at::Tensor sizes = at::zeros({n + 5}, at::kDouble);
  auto* s = sizes.data_ptr<double>();
  for (std::size_t j = 0; j < mine.size(); ++j) {
    encode(local.rows[j], local.texts[j], blobs[j]);
    s[rank + j * world] = static_cast<double>(blobs[j].size());
  }
  // The stats ride along at the end, summed over the ranks.
  s[n] = static_cast<double>(local.stats.parse_failures);
  s[n + 1] = static_cast<double>(local.stats.distribution_rows);
  s[n + 2] = static_cast<double>(local.stats.fallback_rows);
  s[n + 3] = local.stats.mean_valid_mass * static_cast<double>(local.stats.distribution_rows);
  s[n + 4] = local.stats.seconds;
  par.all_reduce_sum(sizes);

  std::vector<std::int64_t> offset(static_cast<std::size_t>(n) + 1, 0);
  for (std::int64_t i = 0; i < n; ++i) offset[i + 1] = offset[i] + static_cast<std::int64_t>(s[i]);
  at::Tensor data = at::zeros({offset.back()}, at::kDouble);
  auto* d = data.data_ptr<double>();
  for (std::size_t j = 0; j < mine.size(); ++j)
    std::copy(blobs[j].begin(), blobs[j].end(), d + offset[rank + j * world]);
  par.all_reduce_sum(data);

  Predictions out;
  out.rows.reserve(examples.size());
  out.texts.resize(examples.size());
  for (std::int64_t i = 0; i < n; ++i) {
    out.rows.push_back(base_row(examples[static_cast<std::size_t>(i)]));
    decode(d + offset[i], out.rows.back(), out.texts[static_cast<std::size_t>(i)]);
  }
  out.stats.rows = n;
  out.stats.parse_failures = static_cast<std::int64_t>(s[n]);
  out.stats.distribution_rows = static_cast<std::int64_t>(s[n + 1]);
  out.stats.fallback_rows = static_cast<std::int64_t>(s[n + 2]);
  if (out.stats.distribution_rows > 0) out.stats.mean_valid_mass = s[n + 3] / static_cast<double>(out.stats.distribution_rows);
  out.stats.seconds = s[n + 4] / static_cast<double>(world);  // the ranks ran side by side
  if (out.stats.seconds > 0) out.stats.predictions_per_second = static_cast<double>(n) / out.stats.seconds;
  return out;
}

}  // namespace socrates
