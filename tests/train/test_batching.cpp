// Batch plans: disjoint shards per rank, every example once per epoch, bucketing cuts padding.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <set>

#include "data/batching.hpp"
#include "log/logging.hpp"

using namespace socrates;

namespace {
// A dataset and format whose examples have random lengths, tokenized through the real cache.
struct Rows final : Dataset {
  std::size_t n;
  explicit Rows(std::size_t n) : n(n) {}
  void prepare() override {}
  std::size_t size(Partition p) const override { return p == Partition::train ? n : 0; }
  Example get(Partition, std::size_t i) const override {
    Example e;
    e.sample_id = static_cast<std::int64_t>(i);
    e.stimuli = std::string(5 + (i * 7919) % 97, 'x');
    e.response = 1;
    return e;
  }
  std::string fingerprint() const override { return "rows" + std::to_string(n); }
};
struct Chars final : Tokenizer {
  std::vector<std::int32_t> encode(std::string_view t) const override { return std::vector<std::int32_t>(t.size(), 7); }
  std::string decode(const std::vector<std::int32_t>& ids, bool) const override { return std::string(ids.size(), 'x'); }
  std::optional<std::int32_t> token_id(std::string_view) const override { return std::nullopt; }
  std::string fingerprint() const override { return "chars"; }
};
struct Format final : PromptFormat {
  std::string render_prompt(const Example& e) const override { return e.stimuli; }
  std::string render_response(const Example&) const override { return "1"; }
  TokenizedExample tokenize(const Example& e, const Tokenizer& t, std::int64_t) const override {
    TokenizedExample out;
    out.input_ids = t.encode(e.stimuli + "1");
    out.labels.assign(out.input_ids.size(), kIgnoreIndex);
    out.labels.back() = 7;
    return out;
  }
  std::vector<std::string> stop_strings() const override { return {}; }
  std::string fingerprint() const override { return "fmt"; }
};

TokenizedSet make_set(std::size_t n) {
  static const auto dir = std::filesystem::temp_directory_path() / ("socrates-batch-" + std::to_string(::getpid()));
  Rows rows(n);
  return TokenizedSet::build(rows, Partition::train, Format(), Chars(), 512, dir, *host_logger());
}
}  // namespace

TEST(Batching, RanksGetDisjointShardsCoveringTheEpoch) {
  TokenizedSet set = make_set(203);
  std::multiset<std::size_t> seen;
  for (int rank = 0; rank < 2; ++rank) {
    BatchPlanOptions o;
    o.global_batch = 16;
    o.micro_batch = 4;
    o.world = 2;
    o.rank = rank;
    o.seed = 3;
    BatchPlan p = plan_batches(set, o);
    EXPECT_EQ(p.steps_per_epoch, 13);
    EXPECT_EQ(p.steps.size(), 13u);
    for (auto& step : p.steps)
      for (auto& mb : step) {
        EXPECT_LE(mb.size(), 4u);
        seen.insert(mb.begin(), mb.end());
      }
  }
  EXPECT_EQ(seen.size(), 203u);  // each example exactly once over both ranks
  EXPECT_EQ(std::set<std::size_t>(seen.begin(), seen.end()).size(), 203u);
}

TEST(Batching, BucketingCutsPaddingAndPlansAreDeterministic) {
  TokenizedSet set = make_set(512);
  BatchPlanOptions o;
  o.global_batch = 32;
  o.micro_batch = 8;
  o.seed = 1;
  BatchPlan bucketed = plan_batches(set, o);
  o.length_bucketing = false;
  BatchPlan plain = plan_batches(set, o);
  EXPECT_LT(bucketed.padding_ratio, plain.padding_ratio / 3);
  EXPECT_EQ(plan_batches(set, o).steps, plain.steps);
  o.seed = 2;
  EXPECT_NE(plan_batches(set, o).steps, plain.steps);
}

TEST(Batching, GlobalBatchMustSplitEvenly) {
  TokenizedSet set = make_set(64);
  BatchPlanOptions o;
  o.global_batch = 30;
  o.micro_batch = 8;
  EXPECT_THROW(plan_batches(set, o), ConfigError);
}

// Any number of ranks: every example exactly once per epoch (none twice, none skipped), the
// same global batches as one rank, micro-batch m of rank r is global micro-batch m * world + r
// (its dropout seed), and the same data-order digest, so a checkpoint resumes on any world.
TEST(Batching, EveryWorldSizeSplitsTheSameGlobalOrder) {
  TokenizedSet set = make_set(101);
  auto plan = [&](int world, int rank) {
    BatchPlanOptions o;
    o.global_batch = 12;
    o.micro_batch = 2;
    o.world = world;
    o.rank = rank;
    o.seed = 5;
    o.epochs = 2.0;
    return plan_batches(set, o);
  };
  const BatchPlan one = plan(1, 0);
  ASSERT_EQ(one.steps_per_epoch, 9);
  ASSERT_EQ(one.steps.size(), 18u);
  for (int world : {1, 2, 3, 6}) {
    std::vector<BatchPlan> ranks;
    for (int r = 0; r < world; ++r) ranks.push_back(plan(world, r));
    for (int r = 0; r < world; ++r) EXPECT_EQ(ranks[r].order_sha256, one.order_sha256) << "world " << world;
    for (std::int64_t epoch = 0; epoch < 2; ++epoch) {
      std::multiset<std::size_t> seen;
      for (std::int64_t s = epoch * 9; s < (epoch + 1) * 9; ++s) {
        const auto& global = one.steps[static_cast<std::size_t>(s)];
        for (int r = 0; r < world; ++r) {
          const auto& mine = ranks[r].steps[static_cast<std::size_t>(s)];
          for (std::size_t m = 0; m < mine.size(); ++m) {
            EXPECT_EQ(mine[m], global[m * static_cast<std::size_t>(world) + static_cast<std::size_t>(r)])
                << "world " << world << " rank " << r << " step " << s;
            seen.insert(mine[m].begin(), mine[m].end());
          }
        }
      }
      EXPECT_EQ(seen.size(), 101u) << "world " << world << " epoch " << epoch;
      EXPECT_EQ(std::set<std::size_t>(seen.begin(), seen.end()).size(), 101u) << "an example twice";
    }
  }
}
