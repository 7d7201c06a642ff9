// Model runtime units: config.json parsing and its errors, RoPE scaling, gradient
// checkpointing, bf16, sampling.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include "generate/generation.hpp"
#include "model/causal_lm.hpp"
#include "model/linear.hpp"
#include "model/linear_4bit.hpp"
#include "model/random_init.hpp"
#include "model/loss.hpp"
#include "model/rope.hpp"
#include "socrates/error.hpp"

using namespace socrates;
using testing::HasSubstr;

namespace {

ModelConfig tiny(const std::string& arch = "Qwen2ForCausalLM", bool tied = false) {
  return ModelConfig::from_json_text(R"({"architectures": [")" + arch + R"("], "vocab_size": 97, "hidden_size": 32,
    "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": )" + (tied ? "true" : "false") + "}",
                                     "test");
}

std::string config_error(const std::string& json) {
  try {
    ModelConfig::from_json_text(json, "m/config.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// A trainable low-rank delta, standing in for an adapter.
struct TestDelta : LinearDelta {
  at::Tensor a, b;
  double p;
  int calls = 0;
  TestDelta(std::int64_t in, std::int64_t out, double dropout) : p(dropout) {
    a = (at::randn({4, in}) * 0.1).requires_grad_(true);
    b = (at::randn({out, 4}) * 0.1).requires_grad_(true);
  }
  at::Tensor forward(const at::Tensor& x) override {
    ++calls;
    return at::linear(at::linear(at::dropout(x, p, /*train=*/p > 0), a), b);
  }
};

}  // namespace

TEST(ModelConfig, ReadsQwenAndLlama) {
  ModelConfig q = tiny();
  EXPECT_TRUE(q.attention_bias);
  EXPECT_EQ(q.head_dim, 8);
  EXPECT_EQ(q.num_kv_heads, 2);
  ModelConfig l = ModelConfig::from_json_text(R"({"architectures": ["LlamaForCausalLM"], "vocab_size": 10,
    "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "head_dim": 12,
    "rope_theta": 500000.0, "eos_token_id": [5, 6], "torch_dtype": "bfloat16",
    "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                     "original_max_position_embeddings": 8192}})",
                                                    "x");
  EXPECT_FALSE(l.attention_bias);
  EXPECT_EQ(l.head_dim, 12);
  EXPECT_EQ(l.num_kv_heads, 2);
  EXPECT_EQ(l.rope_scaling.type, "llama3");
  EXPECT_EQ(l.rope_theta, 500000.0);
  EXPECT_EQ(l.eos_token_ids, (std::vector<std::int64_t>{5, 6}));
  EXPECT_EQ(l.dtype, at::kBFloat16);
}

TEST(ModelConfig, ErrorsNameTheFileAndKey) {
  EXPECT_EQ(config_error(R"({"architectures": ["GPT2LMHeadModel"]})"),
            "m/config.json: architecture 'GPT2LMHeadModel' is not supported; supported: Qwen2ForCausalLM, "
            "LlamaForCausalLM");
  EXPECT_EQ(config_error(R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 5})"),
            "m/config.json: 'hidden_size' is missing");
  EXPECT_EQ(config_error(R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 5, "hidden_size": 8,
    "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 4, "num_key_value_heads": 3})"),
            "m/config.json: 'num_key_value_heads' (3) must divide num_attention_heads (4)");
  EXPECT_THAT(config_error("{nope"), HasSubstr("m/config.json: malformed JSON"));
  EXPECT_THAT([] { ModelConfig::from_folder("/nonexistent-model"); },
              testing::ThrowsMessage<Error>(HasSubstr("/nonexistent-model: not a directory")));
}

TEST(ModelConfig, EmbeddingInitializerRangeIsOptional) {
  const std::string head = R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 4000, "hidden_size": 32,
    "intermediate_size": 48, "num_hidden_layers": 1, "num_attention_heads": 4, "initializer_range": 0.05)";
  EXPECT_FALSE(ModelConfig::from_json_text(head + "}", "x").embedding_initializer_range.has_value());
  EXPECT_FALSE(ModelConfig::from_json_text(head + R"(, "embedding_initializer_range": null})", "x")
                   .embedding_initializer_range.has_value());
  const ModelConfig c = ModelConfig::from_json_text(head + R"(, "embedding_initializer_range": 0.5})", "x");
  EXPECT_EQ(c.embedding_initializer_range, 0.5);
  EXPECT_EQ(config_error(head + R"(, "embedding_initializer_range": "big"})"),
            "m/config.json: 'embedding_initializer_range' must be a number, got \"big\"");
  // CausalLM::random: the embedding (and an untied head) at 0.5, the layers at initializer_range.
  for (bool tied : {true, false}) {
    ModelConfig t = c;
    t.tie_word_embeddings = tied;
    auto m = CausalLM::random(t, c10::kCPU, at::kFloat, 3);
    for (const auto& [name, w] : m->base_parameters()) {
      if (name.find("norm") != std::string::npos || name.find("bias") != std::string::npos) continue;
      const bool embedding = name == "model.embed_tokens.weight" || name == "lm_head.weight";
      EXPECT_NEAR(w.std().item<double>(), embedding ? 0.5 : 0.05, embedding ? 0.01 : 0.005) << name;
    }
  }
}

TEST(Rope, Llama3ScalingFollowsTheThreeBands) {
  ModelConfig c = tiny("LlamaForCausalLM");
  c.head_dim = 128;
  c.rope_theta = 500000.0;
  c.rope_scaling = {"llama3", 8.0, 1.0, 4.0, 8192};
  at::Tensor inv = rope_inv_freq(c);
  for (std::int64_t i = 0; i < 64; ++i) {
    const double base = 1.0 / std::pow(500000.0, (2.0 * i) / 128.0);
    const double wavelen = 2 * M_PI / base;
    double want = base;
    if (wavelen > 8192.0) {
      want = base / 8.0;
    } else if (wavelen >= 2048.0) {
      const double s = (8192.0 / wavelen - 1.0) / 3.0;
      want = (1 - s) * base / 8.0 + s * base;
    }
    EXPECT_NEAR(inv[i].item<double>() / want, 1.0, 1e-5) << i;
  }
}

TEST(CausalLM, RandomModelsOfBothArchitecturesRun) {
  for (auto [arch, tied] : {std::pair{"Qwen2ForCausalLM", false}, std::pair{"LlamaForCausalLM", true}}) {
    auto m = CausalLM::random(tiny(arch, tied), c10::kCPU, at::kFloat, 1);
    at::Tensor logits = m->logits(m->forward(at::randint(97, {2, 5}, at::kLong)));
    EXPECT_EQ(logits.sizes(), (std::vector<std::int64_t>{2, 5, 97}));
    EXPECT_TRUE(logits.isfinite().all().item<bool>());
    EXPECT_EQ(m->linear_sites().size(), 14u);
    EXPECT_EQ(m->linear_sites()[0]->name(), "layers.0.self_attn.q_proj");
  }
  // Same seed, same weights.
  auto a = CausalLM::random(tiny(), c10::kCPU, at::kFloat, 5), b = CausalLM::random(tiny(), c10::kCPU, at::kFloat, 5);
  EXPECT_TRUE(at::equal(a->linear_sites()[3]->weight(), b->linear_sites()[3]->weight()));
  // Another seed, other weights; tensors of one model differ from each other.
  auto c = CausalLM::random(tiny(), c10::kCPU, at::kFloat, 6);
  EXPECT_FALSE(at::equal(a->linear_sites()[3]->weight(), c->linear_sites()[3]->weight()));
  EXPECT_FALSE(at::equal(a->linear_sites()[0]->weight().flatten().narrow(0, 0, 64),
                         a->linear_sites()[1]->weight().flatten().narrow(0, 0, 64)));
}

// Drawn in chunks, each from its own generator: the values do not depend on the thread count,
// chunks differ, and the moments are N(0, sd²)'s.
TEST(CausalLM, RandomWeightsDoNotDependOnTheThreadCount) {
  const int threads = at::get_num_threads();
  const std::vector<std::int64_t> shape{3, 3'000'000};  // 9 M values: three chunks
  at::set_num_threads(1);
  const at::Tensor one = parallel_normal(shape, 0.02, 7, 4);
  at::set_num_threads(std::max(2, threads));
  const at::Tensor many = parallel_normal(shape, 0.02, 7, 4);
  at::set_num_threads(threads);
  EXPECT_TRUE(at::equal(one, many));
  EXPECT_EQ(one.sizes(), at::IntArrayRef(shape));
  EXPECT_NEAR(one.mean().item<double>(), 0.0, 1e-4);
  EXPECT_NEAR(one.std().item<double>(), 0.02, 1e-4);
  const at::Tensor flat = one.flatten();
  const std::int64_t chunk = std::int64_t{1} << 22;
  EXPECT_FALSE(at::equal(flat.narrow(0, 0, 1000), flat.narrow(0, chunk, 1000))) << "chunks draw apart";
  EXPECT_FALSE(at::equal(one, parallel_normal(shape, 0.02, 7, 5))) << "another stream";
}

TEST(CausalLM, Bfloat16StaysCloseToFloat32) {
  auto f = CausalLM::random(tiny(), c10::kCPU, at::kFloat, 3);
  auto h = CausalLM::random(tiny(), c10::kCPU, at::kBFloat16, 3);
  at::Tensor ids = at::randint(97, {2, 7}, at::kLong);
  at::NoGradGuard g;
  at::Tensor lf = f->logits(f->forward(ids)), lh = h->logits(h->forward(ids)).to(at::kFloat);
  EXPECT_LE((lf - lh).abs().max().item<double>() / lf.abs().max().item<double>(), 5e-2);
}

TEST(CausalLM, GradientCheckpointingGivesTheSameGradients) {
  for (double dropout : {0.0, 0.3}) {
    auto m = CausalLM::random(tiny(), c10::kCPU, at::kFloat, 2);
    at::manual_seed(0);
    std::vector<std::shared_ptr<TestDelta>> deltas;
    for (LinearSite* s : m->linear_sites()) {
      deltas.push_back(std::make_shared<TestDelta>(s->in_features(), s->out_features(), dropout));
      s->set_delta(deltas.back());
    }
    at::Tensor ids = at::randint(97, {2, 9}, at::kLong);
    at::Tensor labels = ids.clone();
    labels.narrow(1, 0, 4).fill_(-100);
    auto grads = [&](bool ckpt) {
      m->set_gradient_checkpointing(ckpt);
      for (auto& d : deltas) d->a.mutable_grad() = at::Tensor(), d->b.mutable_grad() = at::Tensor();
      at::manual_seed(42);  // the same dropout masks in both runs
      LossSum l = causal_lm_loss(*m, m->forward(ids), labels);
      (l.sum / static_cast<double>(l.tokens)).backward();
      std::vector<at::Tensor> out;
      for (auto& d : deltas) out.push_back(d->a.grad().clone()), out.push_back(d->b.grad().clone());
      return out;
    };
    auto plain = grads(false);
    const int calls_plain = deltas[0]->calls;
    auto ckpt = grads(true);
    EXPECT_EQ(deltas[0]->calls - calls_plain, 2 * calls_plain) << "checkpointing must recompute each layer once";
    for (std::size_t i = 0; i < plain.size(); ++i) {
      ASSERT_TRUE(ckpt[i].defined());
      EXPECT_TRUE(at::allclose(plain[i], ckpt[i], 1e-5, 1e-7)) << "dropout " << dropout << " grad " << i;
    }
    // Selective: only the first layer recomputes; the last layer's sites run once.
    m->set_gradient_checkpointing(true, 1);
    const int first_before = deltas.front()->calls, last_before = deltas.back()->calls;
    for (auto& d : deltas) d->a.mutable_grad() = at::Tensor(), d->b.mutable_grad() = at::Tensor();
    at::manual_seed(42);
    LossSum l = causal_lm_loss(*m, m->forward(ids), labels);
    (l.sum / static_cast<double>(l.tokens)).backward();
    ASSERT_GT(m->config().num_layers, 1);
    EXPECT_EQ(deltas.front()->calls - first_before, 2) << "layer 0 runs forward and recompute";
    EXPECT_EQ(deltas.back()->calls - last_before, 1) << "the last layer keeps its activations";
    for (std::size_t i = 0; i < deltas.size(); ++i) {
      EXPECT_TRUE(at::allclose(plain[2 * i], deltas[i]->a.grad(), 1e-5, 1e-7)) << "dropout " << dropout << " a " << i;
      EXPECT_TRUE(at::allclose(plain[2 * i + 1], deltas[i]->b.grad(), 1e-5, 1e-7)) << "dropout " << dropout << " b " << i;
    }
  }
}

// A recomputed layer keeps the 4-bit weights its recompute dequantised for its backward, which
// follows at once: each of its bases dequantises in the forward and the recompute only, as the
// kept layer does in its forward and backward. The gradients stay those of the plain run.
TEST(CausalLM, RecomputedFourBitLayersDoNotDequantiseAgainInBackward) {
  for (const bool fused : {true, false}) {
    auto m = CausalLM::random(tiny(), c10::kCPU, at::kFloat, 2, quant::QuantOptions{});
    m->set_fused_kernels(fused);
    at::manual_seed(0);
    std::vector<std::shared_ptr<TestDelta>> deltas;
    std::vector<std::pair<std::string, const Linear4bit*>> bases;
    for (LinearSite* s : m->linear_sites()) {
      deltas.push_back(std::make_shared<TestDelta>(s->in_features(), s->out_features(), 0.0));
      s->set_delta(deltas.back());
      const auto* q = dynamic_cast<const Linear4bit*>(static_cast<Linear*>(s)->base().get());
      ASSERT_NE(q, nullptr) << s->name();
      bases.emplace_back(s->name(), q);
    }
    const at::Tensor ids = at::randint(97, {2, 9}, at::kLong);
    auto grads = [&](bool ckpt) {
      m->set_gradient_checkpointing(ckpt, 1);  // layer 0 recomputes, layer 1 keeps its activations
      for (auto& d : deltas) d->a.mutable_grad() = at::Tensor(), d->b.mutable_grad() = at::Tensor();
      std::vector<std::int64_t> before;
      for (const auto& [name, q] : bases) before.push_back(q->dequantizations());
      LossSum l = causal_lm_loss(*m, m->forward(ids), ids);
      (l.sum / static_cast<double>(l.tokens)).backward();
      std::vector<at::Tensor> out;
      for (std::size_t i = 0; i < bases.size(); ++i) {
        if (ckpt)  // without the kept weights, layer 0's bases would dequantise 3 times
          EXPECT_EQ(bases[i].second->dequantizations() - before[i], 2) << bases[i].first << (fused ? ", fused" : "");
        out.push_back(deltas[i]->a.grad().clone());
      }
      return out;
    };
    const auto plain = grads(false), ckpt = grads(true);
    for (std::size_t i = 0; i < plain.size(); ++i)
      EXPECT_TRUE(at::allclose(plain[i], ckpt[i], 1e-5, 1e-7)) << bases[i].first << (fused ? ", fused" : "");
  }
}

TEST(Sampling, GreedyTopKTopPAndSeeds) {
  at::Tensor logits = at::tensor({1.0f, 3.0f, 2.0f, 0.5f}).view({1, 4});
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(1);
  SamplingParams greedy;
  EXPECT_EQ(sample_next(logits, greedy, gen).item<std::int64_t>(), 1);
  SamplingParams k1;
  k1.temperature = 1.0;
  k1.top_k = 1;
  SamplingParams p_small;
  p_small.temperature = 1.0;
  p_small.top_p = 0.01;
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(sample_next(logits, k1, gen).item<std::int64_t>(), 1);
    EXPECT_EQ(sample_next(logits, p_small, gen).item<std::int64_t>(), 1);
  }
  // top_k = 2: only tokens 1 and 2 ever appear.
  SamplingParams k2;
  k2.temperature = 1.0;
  k2.top_k = 2;
  for (int i = 0; i < 50; ++i) {
    auto t = sample_next(logits, k2, gen).item<std::int64_t>();
    EXPECT_TRUE(t == 1 || t == 2);
  }
  // top_p = 0.9 over softmax [0.087, 0.644, 0.237, 0.032]: {1, 2} reach 0.88 < 0.9, so token 0 stays too.
  SamplingParams p9;
  p9.temperature = 1.0;
  p9.top_p = 0.9;
  std::set<std::int64_t> seen;
  for (int i = 0; i < 400; ++i) seen.insert(sample_next(logits, p9, gen).item<std::int64_t>());
  EXPECT_EQ(seen, (std::set<std::int64_t>{0, 1, 2}));
}

TEST(Generation, SameSeedSameTokensAndStopTokensEnd) {
  auto m = CausalLM::random(tiny(), c10::kCPU, at::kFloat, 9);
  SamplingParams p;
  p.temperature = 0.8;
  p.top_p = 0.9;
  p.max_new_tokens = 12;
  p.seed = 123;
  std::vector<std::vector<std::int64_t>> prompts{{1, 2, 3}, {4, 5}};
  Generation a = generate(*m, prompts, p), b = generate(*m, prompts, p);
  EXPECT_EQ(a.tokens, b.tokens);
  p.seed = 124;
  EXPECT_NE(generate(*m, prompts, p).tokens, a.tokens);
  // Stop on the first token the model produces.
  p.seed = 123;
  p.stop_ids = {a.tokens[0][0]};
  Generation s = generate(*m, prompts, p);
  EXPECT_EQ(s.tokens[0].size(), 1u);
  EXPECT_TRUE(s.stopped[0]);
}
