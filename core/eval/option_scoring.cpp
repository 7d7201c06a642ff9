#include "eval/option_scoring.hpp"

#include <algorithm>

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/logsumexp.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>

#include "socrates/error.hpp"

namespace socrates {

namespace {

/// Rows of hidden states scored per LM-head call, to bound the [rows, vocab] logits.
constexpr std::int64_t kLogitRows = 1024;

at::Tensor long_tensor(const std::vector<std::int64_t>& v) {
  return at::tensor(v, at::TensorOptions().dtype(at::kLong));
}

/// log P(target[i] | hidden[i]) for hidden [N, H] and targets [N] (on the model's device),
/// returned as float64 on the CPU. Logits in float32, in pieces of kLogitRows rows.
std::vector<double> token_logprobs(const CausalLM& model, const at::Tensor& hidden, const at::Tensor& targets) {
  std::vector<double> out;
  const std::int64_t n = hidden.size(0);
  out.reserve(static_cast<std::size_t>(n));
  for (std::int64_t start = 0; start < n; start += kLogitRows) {
    const std::int64_t len = std::min(kLogitRows, n - start);
    at::Tensor logits = model.logits(hidden.narrow(0, start, len)).to(at::kFloat);
    at::Tensor picked = logits.gather(1, targets.narrow(0, start, len).view({len, 1})).squeeze(1);
    at::Tensor lp = (picked - at::logsumexp(logits, {1})).to(at::kDouble).cpu().contiguous();
    const double* p = lp.data_ptr<double>();
    out.insert(out.end(), p, p + len);
  }
  return out;
}

}  // namespace

std::vector<std::vector<double>> score_options(const CausalLM& model, const std::vector<OptionQuery>& queries,
                                               std::int64_t max_cache_positions) {
  at::NoGradGuard no_grad;
  std::vector<std::vector<double>> out(queries.size());
  if (queries.empty()) return out;
  const c10::Device dev = model.device();
  const auto B = static_cast<std::int64_t>(queries.size());
  const std::int64_t vocab = model.config().vocab_size;

  // The flattened (query, option) rows.
  struct Row {
    std::int64_t query, option;
  };
  std::vector<Row> rows;
  std::int64_t L = 0, T = 0;  // longest prompt; longest option minus its last token
  for (std::size_t q = 0; q < queries.size(); ++q) {
    const OptionQuery& oq = queries[q];
    if (oq.prompt.empty()) throw Error("score_options: query " + std::to_string(q) + " has an empty prompt");
    L = std::max<std::int64_t>(L, static_cast<std::int64_t>(oq.prompt.size()));
    out[q].assign(oq.options.size(), 0.0);
    for (std::size_t k = 0; k < oq.options.size(); ++k) {
      const auto& o = oq.options[k];
      if (o.empty()) throw Error("score_options: query " + std::to_string(q) + " option " + std::to_string(k) + " is empty");
      for (std::int64_t t : o)
        if (t < 0 || t >= vocab)
          throw Error("score_options: token id " + std::to_string(t) + " is outside the vocabulary [0, " +
                      std::to_string(vocab) + ")");
      T = std::max<std::int64_t>(T, static_cast<std::int64_t>(o.size()) - 1);
      rows.push_back({static_cast<std::int64_t>(q), static_cast<std::int64_t>(k)});
    }
  }
  if (rows.empty()) return out;

  // 1. The prompts, left-padded so that every prompt ends at column L-1.
  at::Tensor ids = at::zeros({B, L}, at::kLong);
  at::Tensor valid = at::zeros({B, L}, at::kBool);
  std::vector<std::int64_t> prompt_len(queries.size());
  bool padded = false;
  {
    auto* id = ids.data_ptr<std::int64_t>();
    auto* ok = valid.data_ptr<bool>();
    for (std::int64_t b = 0; b < B; ++b) {
      const auto& p = queries[static_cast<std::size_t>(b)].prompt;
      const auto n = static_cast<std::int64_t>(p.size());
      const std::int64_t off = L - n;
      padded |= off > 0;
      prompt_len[static_cast<std::size_t>(b)] = n;
      for (std::int64_t t = 0; t < n; ++t) {
        id[b * L + off + t] = p[static_cast<std::size_t>(t)];
        ok[b * L + off + t] = true;
      }
    }
  }
  KVCache prompt_cache = model.make_cache(B, L);
  ForwardOptions fo;
  fo.cache = &prompt_cache;
  // Positions count real tokens only, so a padded prompt sees the positions it has alone.
  fo.positions = (valid.to(at::kLong).cumsum(1) - 1).clamp_min(0);
  if (padded) fo.key_valid = valid;
  at::Tensor last = model.forward(ids, fo).select(1, L - 1);  // [B, H]

  // 2. Each option's first token, from the prompt's last position.
  {
    std::vector<std::int64_t> owner, first;
    for (const Row& r : rows) {
      owner.push_back(r.query);
      first.push_back(queries[static_cast<std::size_t>(r.query)].options[static_cast<std::size_t>(r.option)][0]);
    }
    const std::vector<double> lp =
        token_logprobs(model, last.index_select(0, long_tensor(owner).to(dev)), long_tensor(first).to(dev));
    for (std::size_t i = 0; i < rows.size(); ++i)
      out[static_cast<std::size_t>(rows[i].query)][static_cast<std::size_t>(rows[i].option)] += lp[i];
  }
  if (T == 0) return out;

  // 3. The later tokens: chunks of rows over a copy of their prompts' cache.
  const std::int64_t per_chunk = std::max<std::int64_t>(1, max_cache_positions / (L + T));
  for (std::size_t start = 0; start < rows.size(); start += static_cast<std::size_t>(per_chunk)) {
    const std::size_t end = std::min(rows.size(), start + static_cast<std::size_t>(per_chunk));
    const auto R = static_cast<std::int64_t>(end - start);
    std::int64_t Tc = 0;
    for (std::size_t i = start; i < end; ++i)
      Tc = std::max<std::int64_t>(
          Tc, static_cast<std::int64_t>(
                  queries[static_cast<std::size_t>(rows[i].query)].options[static_cast<std::size_t>(rows[i].option)].size()) - 1);
    if (Tc == 0) continue;

    at::Tensor in = at::zeros({R, Tc}, at::kLong);
    at::Tensor pos = at::zeros({R, Tc}, at::kLong);
    std::vector<std::int64_t> owner, flat, target;
    auto* in_p = in.data_ptr<std::int64_t>();
    auto* pos_p = pos.data_ptr<std::int64_t>();
    for (std::int64_t r = 0; r < R; ++r) {
      const Row& row = rows[start + static_cast<std::size_t>(r)];
      const auto& o = queries[static_cast<std::size_t>(row.query)].options[static_cast<std::size_t>(row.option)];
      owner.push_back(row.query);
      for (std::int64_t t = 0; t < Tc; ++t) pos_p[r * Tc + t] = prompt_len[static_cast<std::size_t>(row.query)] + t;
      // Input: the option without its last token; position t predicts token t+1.
      for (std::size_t t = 0; t + 1 < o.size(); ++t) {
        in_p[r * Tc + static_cast<std::int64_t>(t)] = o[t];
        flat.push_back(r * Tc + static_cast<std::int64_t>(t));
        target.push_back(o[t + 1]);
      }
    }
    const at::Tensor owner_t = long_tensor(owner);
    KVCache cache = model.make_cache(R, L + Tc);
    for (std::size_t layer = 0; layer < cache.k.size(); ++layer) {
      cache.k[layer].narrow(2, 0, L).copy_(prompt_cache.k[layer].index_select(0, owner_t.to(dev)));
      cache.v[layer].narrow(2, 0, L).copy_(prompt_cache.v[layer].index_select(0, owner_t.to(dev)));
    }
    cache.length = L;
    ForwardOptions oo;
    oo.cache = &cache;
    oo.positions = pos;
    // Right padding needs no mask: a real option token never attends to a later (padded) one.
    if (padded) oo.key_valid = at::cat({valid.index_select(0, owner_t), at::ones({R, Tc}, at::kBool)}, 1);
    at::Tensor h = model.forward(in, oo);  // [R, Tc, H]
    const std::vector<double> lp = token_logprobs(
        model, h.reshape({R * Tc, h.size(2)}).index_select(0, long_tensor(flat).to(dev)), long_tensor(target).to(dev));
    for (std::size_t i = 0; i < flat.size(); ++i) {
      const Row& row = rows[start + static_cast<std::size_t>(flat[i] / Tc)];
      out[static_cast<std::size_t>(row.query)][static_cast<std::size_t>(row.option)] += lp[i];
    }
  }
  return out;
}

}  // namespace socrates
