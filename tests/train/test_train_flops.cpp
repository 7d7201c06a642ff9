// The FLOPs per trained token behind MFU and HFU (core/train/train_flops.hpp), against the
// formula worked out by hand, and on the Qwen2.5-7B shape against its parameter count.
#include <gtest/gtest.h>

#include "config/settings.hpp"
#include "model/model_config.hpp"
#include "train/train_flops.hpp"

using namespace socrates;

namespace {

ModelConfig shape(std::int64_t layers, std::int64_t hidden, std::int64_t inter, std::int64_t heads, std::int64_t kv,
                  std::int64_t head_dim, std::int64_t vocab) {
  ModelConfig c;
  c.num_layers = layers, c.hidden_size = hidden, c.intermediate_size = inter;
  c.num_heads = heads, c.num_kv_heads = kv, c.head_dim = head_dim, c.vocab_size = vocab;
  return c;
}

}  // namespace

TEST(TrainFlops, TheFormulaByHand) {
  // 1 layer, hidden 8, intermediate 16, 2 heads of 4, 1 kv head: q/o 8x8, k/v 4x8, gate/up/down 8x16.
  const ModelConfig c = shape(1, 8, 16, 2, 1, 4, 100);
  const double weights = 64 + 32 + 32 + 64 + 3 * 128;  // 576
  const double linear = 2 * weights, attention = 4.0 * 8 * (10.0 / 2), lora = 2.0 * 50, head = 2.0 * 8 * 100 * 0.25;
  const TrainFlops f = train_flops_per_token(c, 10.0, 0.25, 50, 0.0);
  EXPECT_DOUBLE_EQ(f.model, 2 * linear + 3 * attention + 3 * lora + 2 * head);
  EXPECT_DOUBLE_EQ(f.hardware, f.model);
  const TrainFlops r = train_flops_per_token(c, 10.0, 0.25, 50, 1.0);
  EXPECT_DOUBLE_EQ(r.model, f.model);
  EXPECT_DOUBLE_EQ(r.hardware - r.model, linear + attention + lora);  // one more forward of the layers
  const TrainFlops q = train_flops_per_token(c, 10.0, 0.25, 50, 0.25);
  EXPECT_DOUBLE_EQ(q.hardware - q.model, 0.25 * (linear + attention + lora));  // a quarter of the layers again
}

TEST(TrainFlops, RecomputeShareFollowsTheSettings) {
  TrainingSettings t;
  t.gradient_checkpointing = false;
  EXPECT_DOUBLE_EQ(recompute_share(t, 28), 0.0);
  t.gradient_checkpointing = true;
  EXPECT_DOUBLE_EQ(recompute_share(t, 28), 1.0);  // checkpoint_layers = -1: all
  t.checkpoint_layers = 7;
  EXPECT_DOUBLE_EQ(recompute_share(t, 28), 0.25);
  t.checkpoint_layers = 0;
  EXPECT_DOUBLE_EQ(recompute_share(t, 28), 0.0);
  t.checkpoint_layers = 40;
  EXPECT_DOUBLE_EQ(recompute_share(t, 28), 1.0);
}

TEST(TrainFlops, Qwen7bIsAboutFourTimesItsLinearWeightsPerToken) {
  // Qwen2.5-7B: 28 layers, hidden 3584, intermediate 18944, 28 heads, 4 kv heads of 128.
  const ModelConfig c = shape(28, 3584, 18944, 28, 4, 128, 152064);
  const double linear_weights = 28.0 * (3584.0 * (3584 + 2 * 512) + 3584.0 * 3584 + 3 * 3584.0 * 18944);
  EXPECT_NEAR(linear_weights / 1e9, 6.53, 0.01);
  // Frozen base, no labels, no adapter, short sequences: forward plus backward to the
  // activations, 4 FLOPs per weight; recomputation adds 2 more.
  const TrainFlops f = train_flops_per_token(c, 2.0, 0.0, 0, 1.0);
  EXPECT_NEAR(f.model / linear_weights, 4.0, 0.001);
  EXPECT_NEAR(f.hardware / linear_weights, 6.0, 0.001);
  // Longer sequences and a labelled share only add.
  const TrainFlops g = train_flops_per_token(c, 256.0, 0.1, 40'000'000, 1.0);
  EXPECT_GT(g.model, f.model);
  EXPECT_GT(g.hardware - g.model, f.hardware - f.model);
}
