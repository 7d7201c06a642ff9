#include "data/batching.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include <ATen/ops/full.h>

#include "io/sha256.hpp"
#include "socrates/error.hpp"
#include "socrates/prompt_format.hpp"

namespace socrates {

namespace {
// Fisher-Yates with raw mt19937_64 draws: the same order on every standard library.
void shuffle(std::vector<std::size_t>& v, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng() % i]);
}
}  // namespace

std::int64_t loss_tokens(const TokenizedSet& set, std::size_t i) {
  auto l = set.labels(i);
  std::int64_t n = 0;
  for (std::size_t t = 1; t < l.size(); ++t) n += l[t] != kIgnoreIndex;
  return n;
}

BatchPlan plan_batches(const TokenizedSet& set, const BatchPlanOptions& o) {
  if (o.micro_batch <= 0 || o.global_batch <= 0) throw ConfigError("batch sizes must be positive");
  const std::int64_t per_step_micro = o.micro_batch * o.world;
  if (o.global_batch % per_step_micro != 0) {
    throw ConfigError("training.global_batch_size (" + std::to_string(o.global_batch) +
                      ") must be a multiple of micro_batch_size x ranks (" + std::to_string(o.micro_batch) + " x " +
                      std::to_string(o.world) + ")");
  }
  const std::int64_t n = static_cast<std::int64_t>(set.size());
  if (n == 0) throw Error("the training set is empty: check the dataset's split and filters");
  BatchPlan plan;
  plan.steps_per_epoch = (n + o.global_batch - 1) / o.global_batch;
  std::int64_t total = o.max_steps > 0 ? o.max_steps
                                       : static_cast<std::int64_t>(std::ceil(o.epochs * plan.steps_per_epoch));
  total = std::max<std::int64_t>(1, total);
  // The plan holds every step's example indices; an absurd length would exhaust memory.
  constexpr double kMaxVisits = 2e9;
  if (static_cast<double>(total) * static_cast<double>(o.global_batch) > kMaxVisits) {
    throw ConfigError(std::to_string(total) + " steps of global batch " + std::to_string(o.global_batch) +
                      " visit more than 2e9 examples, which this trainer cannot plan; lower training.epochs or "
                      "training.max_steps");
  }

  std::int64_t padded = 0, slots = 0;
  std::string order_bytes;  // the global order, hashed into order_sha256
  for (std::int64_t epoch = 0; static_cast<std::int64_t>(plan.steps.size()) < total; ++epoch) {
    std::vector<std::size_t> order(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    shuffle(order, o.seed * 1000003ULL + static_cast<std::uint64_t>(epoch));
    // Global batches; with bucketing, sort each window of 16 batches by length and
    // shuffle the batches inside the window, so batches are uniform but the order random.
    std::vector<std::vector<std::size_t>> batches;
    const std::int64_t window = o.length_bucketing ? 16 * o.global_batch : o.global_batch;
    for (std::int64_t w = 0; w < n; w += window) {
      auto first = order.begin() + w, last = order.begin() + std::min(n, w + window);
      if (o.length_bucketing)
        std::stable_sort(first, last, [&](std::size_t a, std::size_t b) { return set.length(a) < set.length(b); });
      std::vector<std::vector<std::size_t>> win;
      for (auto it = first; it < last; it += std::min<std::int64_t>(o.global_batch, last - it))
        win.emplace_back(it, it + std::min<std::int64_t>(o.global_batch, last - it));
      if (o.length_bucketing) {
        std::vector<std::size_t> perm(win.size());
        for (std::size_t i = 0; i < perm.size(); ++i) perm[i] = i;
        shuffle(perm, o.seed ^ (0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(w + 1 + epoch * n)));
        for (std::size_t i : perm) batches.push_back(std::move(win[i]));
      } else {
        for (auto& b : win) batches.push_back(std::move(b));
      }
    }
    for (auto& b : batches) {
      if (static_cast<std::int64_t>(plan.steps.size()) >= total) break;
      // Contiguous micro-batches of similar length; micro-batch j goes to rank j % world.
      std::vector<std::vector<std::size_t>> mine;
      std::int64_t j = 0;
      for (std::size_t s = 0; s < b.size(); s += static_cast<std::size_t>(o.micro_batch), ++j) {
        std::vector<std::size_t> mb(b.begin() + static_cast<std::ptrdiff_t>(s),
                                    b.begin() + static_cast<std::ptrdiff_t>(std::min(b.size(), s + o.micro_batch)));
        std::int64_t longest = 0, real = 0;
        for (std::size_t i : mb) longest = std::max(longest, set.length(i)), real += set.length(i);
        padded += longest * static_cast<std::int64_t>(mb.size()) - real;
        slots += longest * static_cast<std::int64_t>(mb.size());
        for (std::size_t i : mb) order_bytes.append(reinterpret_cast<const char*>(&i), sizeof i);
        order_bytes.push_back('|');  // micro-batch boundary
        if (j % o.world == o.rank) mine.push_back(std::move(mb));
      }
      order_bytes.push_back('/');  // step boundary
      plan.steps.push_back(std::move(mine));
    }
  }
  plan.order_sha256 = sha256_hex(order_bytes);
  plan.padding_ratio = slots ? static_cast<double>(padded) / static_cast<double>(slots) : 0.0;
  return plan;
}

MicroBatch collate(const TokenizedSet& set, const std::vector<std::size_t>& examples, std::int32_t pad_id) {
  std::int64_t L = 0;
  for (std::size_t i : examples) L = std::max(L, set.length(i));
  const auto B = static_cast<std::int64_t>(examples.size());
  MicroBatch mb;
  mb.input_ids = at::full({B, L}, pad_id, at::kLong);
  mb.labels = at::full({B, L}, kIgnoreIndex, at::kLong);
  auto* ids = mb.input_ids.data_ptr<std::int64_t>();
  auto* lab = mb.labels.data_ptr<std::int64_t>();
  for (std::int64_t b = 0; b < B; ++b) {
    const std::size_t e = examples[static_cast<std::size_t>(b)];
    auto x = set.ids(e);
    auto y = set.labels(e);
    for (std::size_t t = 0; t < x.size(); ++t) {
      ids[b * L + static_cast<std::int64_t>(t)] = x[t];
      lab[b * L + static_cast<std::int64_t>(t)] = y[t];
    }
    mb.loss_tokens += loss_tokens(set, e);
    mb.tokens += set.length(e);
  }
  return mb;
}

}  // namespace socrates
