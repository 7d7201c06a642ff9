#include "generate/generation.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/argmax.h>
#include <ATen/ops/cumsum.h>
#include <ATen/ops/full.h>
#include <ATen/ops/rand.h>
#include <ATen/ops/searchsorted.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/softmax.h>
#include <ATen/ops/sort.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/topk.h>
#include <ATen/ops/zeros.h>

#include "socrates/error.hpp"

namespace socrates {

at::Tensor sample_next(const at::Tensor& logits, const SamplingParams& p, at::Generator& gen) {
  if (p.temperature <= 0.0) return logits.argmax(-1);
  // The order of transformers' warpers: temperature, top-k, top-p.
  at::Tensor l = logits / p.temperature;
  const double neg_inf = -std::numeric_limits<double>::infinity();
  if (p.top_k > 0 && p.top_k < l.size(-1)) {
    at::Tensor kth = std::get<0>(l.topk(p.top_k, -1)).narrow(-1, p.top_k - 1, 1);
    l = l.masked_fill(l < kth, neg_inf);
  }
  if (p.top_p < 1.0) {
    auto [sorted, order] = l.sort(-1, /*descending=*/false);
    at::Tensor cum = sorted.softmax(-1).cumsum(-1);
    at::Tensor drop = cum <= (1.0 - p.top_p);
    drop.select(-1, drop.size(-1) - 1).fill_(false);  // keep at least the most likely token
    l = l.scatter(-1, order, sorted.masked_fill(drop, neg_inf));
  }
  // Inverse-CDF draw: uniforms from the seeded CPU generator, the rest on the logits'
  // device (a [B, vocab] sort and draw on the CPU cost ~0.4 s per step at B = 64). Tokens
  // of probability 0 are never drawn (their CDF step is empty).
  at::Tensor cdf = l.softmax(-1).to(at::kDouble).cumsum(-1);
  at::Tensor u = at::rand({l.size(0), 1}, gen, at::TensorOptions().dtype(at::kDouble)).to(l.device());
  at::Tensor next = at::searchsorted(cdf, u * cdf.narrow(-1, cdf.size(-1) - 1, 1), /*out_int32=*/false, /*right=*/true);
  return next.squeeze(-1).clamp_max(l.size(-1) - 1);
}

Generation generate(const CausalLM& model, const std::vector<std::vector<std::int64_t>>& prompts,
                    const SamplingParams& p) {
  at::NoGradGuard no_grad;
  const auto B = static_cast<std::int64_t>(prompts.size());
  Generation out;
  out.tokens.resize(prompts.size());
  out.stopped.assign(prompts.size(), false);
  if (B == 0 || p.max_new_tokens <= 0) return out;
  std::int64_t L = 0;
  for (const auto& pr : prompts) {
    if (pr.empty()) throw Error("generate: a prompt is empty; give at least one token");
    L = std::max<std::int64_t>(L, static_cast<std::int64_t>(pr.size()));
  }
  const std::int64_t S = L + p.max_new_tokens;

  // Left-pad: real tokens end at column L-1 for every row.
  at::Tensor ids = at::zeros({B, L}, at::kLong);
  at::Tensor valid = at::zeros({B, S}, at::kBool);
  valid.narrow(1, L, p.max_new_tokens).fill_(true);
  auto* id = ids.data_ptr<std::int64_t>();
  auto* ok = valid.data_ptr<bool>();
  bool padded = false;
  for (std::int64_t b = 0; b < B; ++b) {
    const auto& pr = prompts[b];
    const auto off = L - static_cast<std::int64_t>(pr.size());
    padded |= off > 0;
    for (std::size_t t = 0; t < pr.size(); ++t) {
      id[b * L + off + static_cast<std::int64_t>(t)] = pr[t];
      ok[b * S + off + static_cast<std::int64_t>(t)] = true;
    }
  }
  // Positions count real tokens only, so a padded prompt sees the same positions as alone.
  at::Tensor pos_all = (valid.to(at::kLong).cumsum(1) - 1).clamp_min(0);

  KVCache cache = model.make_cache(B, S);
  ForwardOptions fo;
  fo.cache = &cache;
  if (padded) fo.key_valid = valid;
  fo.positions = pos_all.narrow(1, 0, L);
  at::Tensor hidden = model.forward(ids, fo);

  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(p.seed);
  std::vector<bool> done(prompts.size(), false);
  std::int64_t remaining = B;
  for (std::int64_t step = 0; step < p.max_new_tokens && remaining > 0; ++step) {
    at::Tensor last = model.logits(hidden.select(1, hidden.size(1) - 1)).to(at::kFloat);
    at::Tensor next = sample_next(last, p, gen).cpu().contiguous();
    const auto* nx = next.data_ptr<std::int64_t>();
    for (std::int64_t b = 0; b < B; ++b) {
      if (done[b]) continue;
      out.tokens[b].push_back(nx[b]);
      if (std::find(p.stop_ids.begin(), p.stop_ids.end(), nx[b]) != p.stop_ids.end()) {
        done[b] = true;
        out.stopped[b] = true;
        --remaining;
      }
    }
    if (remaining == 0 || step + 1 == p.max_new_tokens) break;
    fo.positions = pos_all.narrow(1, L + step, 1);
    hidden = model.forward(next.view({B, 1}), fo);
  }
  return out;
}

}  // namespace socrates
