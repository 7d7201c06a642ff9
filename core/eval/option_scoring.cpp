#include "eval/option_scoring.hpp"

#include <algorithm>

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/eye.h>
#include <ATen/ops/full.h>
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

std::vector<std::vector<double>> score_options(const CausalLM& model, const std::vector<OptionQuery>& queries) {
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
  // Each query's options, without their last tokens, packed one after another: segment k of
  // row b holds option k's inputs. S is the longest packed row.
  std::vector<std::vector<std::int64_t>> seg_start(queries.size());
  std::int64_t S = 0;
  for (std::size_t q = 0; q < queries.size(); ++q) {
    std::int64_t n = 0;
    for (const auto& o : queries[q].options) {
      seg_start[q].push_back(n);
      n += static_cast<std::int64_t>(o.size()) - 1;
    }
    S = std::max(S, n);
  }
  KVCache cache = model.make_cache(B, L + S);
  ForwardOptions fo;
  fo.cache = &cache;
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

  // 3. The later tokens: one forward over the packed options on top of the prompts' cache. An
  // option token sees its prompt and the earlier tokens of its own option only (a
  // block-diagonal causal mask), at the positions it would have right after the prompt, so
  // nothing is copied and the prompt is computed once.
  at::Tensor in = at::zeros({B, S}, at::kLong);
  at::Tensor pos = at::zeros({B, S}, at::kLong);
  at::Tensor seg = at::full({B, S}, -1, at::kLong);  // option index per packed slot; -1 = padding
  std::vector<std::int64_t> flat, target, flat_query, flat_option;
  {
    auto* in_p = in.data_ptr<std::int64_t>();
    auto* pos_p = pos.data_ptr<std::int64_t>();
    auto* seg_p = seg.data_ptr<std::int64_t>();
    for (std::int64_t b = 0; b < B; ++b) {
      const OptionQuery& oq = queries[static_cast<std::size_t>(b)];
      for (std::size_t k = 0; k < oq.options.size(); ++k) {
        const auto& o = oq.options[k];
        const std::int64_t s0 = seg_start[static_cast<std::size_t>(b)][k];
        for (std::size_t t = 0; t + 1 < o.size(); ++t) {
          const std::int64_t j = b * S + s0 + static_cast<std::int64_t>(t);
          in_p[j] = o[t];
          pos_p[j] = prompt_len[static_cast<std::size_t>(b)] + static_cast<std::int64_t>(t);
          seg_p[j] = static_cast<std::int64_t>(k);
          flat.push_back(j);
          target.push_back(o[t + 1]);
          flat_query.push_back(b);
          flat_option.push_back(static_cast<std::int64_t>(k));
        }
      }
    }
  }
  // mask[b, 0, i, key]: prompt keys where valid; packed keys j <= i of the same option; a
  // padding slot sees itself only (its output is never read).
  const at::Tensor idx = at::arange(S, at::kLong);
  const at::Tensor same = seg.unsqueeze(2).eq(seg.unsqueeze(1)) & seg.unsqueeze(2).ge(0);  // [B, S, S]
  const at::Tensor own = (same & idx.view({1, 1, S}).le(idx.view({1, S, 1}))) | at::eye(S, at::kBool).unsqueeze(0);
  const at::Tensor prompt_keys = (padded ? valid : at::ones({B, L}, at::kBool)).unsqueeze(1).expand({B, S, L}) &
                                 seg.ge(0).unsqueeze(2);
  ForwardOptions oo;
  oo.cache = &cache;
  oo.positions = pos;
  oo.attn_mask = at::cat({prompt_keys, own}, 2).unsqueeze(1);  // [B, 1, S, L + S]
  at::Tensor h = model.forward(in, oo);                        // [B, S, H]
  const std::vector<double> lp =
      token_logprobs(model, h.reshape({B * S, h.size(2)}).index_select(0, long_tensor(flat).to(dev)),
                     long_tensor(target).to(dev));
  for (std::size_t i = 0; i < flat.size(); ++i)
    out[static_cast<std::size_t>(flat_query[i])][static_cast<std::size_t>(flat_option[i])] += lp[i];
  return out;
}

}  // namespace socrates
