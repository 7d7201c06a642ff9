// Unit tests of the lora plugin on small random models: options and their errors, target
// selection, initialisation, dropout, save/load round trips, PEFT's config format, load
// errors, and merging.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <unistd.h>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>

#include "dropout_linear.hpp"
#if SOCRATES_LORA_CUDA
#include "dropout_cuda.hpp"
#include "dropout_gemm.hpp"
#include "lora_add.hpp"
#endif
#include "fixtures.hpp"
#include "model/causal_lm.hpp"
#include "model/linear.hpp"
#include "model/linear_group.hpp"
#include "model/loss.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;
using namespace socrates;
using namespace lora_test;
using testing::HasSubstr;
using testing::ThrowsMessage;

namespace {

const char* const kSeven[] = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};

std::unique_ptr<CausalLM> tiny_model(std::int64_t layers = 2, std::uint64_t seed = 1, c10::Device device = c10::kCPU,
                                     at::ScalarType dtype = at::kFloat) {
  ModelConfig c = ModelConfig::from_json_text(
      R"({"architectures": ["Qwen2ForCausalLM"], "vocab_size": 97, "hidden_size": 32, "intermediate_size": 48,
          "num_hidden_layers": )" +
          std::to_string(layers) +
          R"(, "num_attention_heads": 4, "num_key_value_heads": 2, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
          "tie_word_embeddings": false})",
      "test");
  return CausalLM::random(c, device, dtype, seed);
}

Array names(std::initializer_list<const char*> l) {
  Array a;
  for (const char* s : l) a.emplace_back(s);
  return a;
}

// Gives every lora_B (zero after init) random values, so the adapter changes outputs.
void randomize_b(Adapter& a, std::uint64_t seed) {
  at::NoGradGuard g;
  at::manual_seed(static_cast<std::int64_t>(seed));
  for (auto& [name, p] : a.parameters())
    if (name.find(".lora_B.") != std::string::npos) p.copy_(at::randn(p.sizes()) * 0.1);
}

at::Tensor logits_of(CausalLM& m, const at::Tensor& ids) {
  at::NoGradGuard g;
  return m.logits(m.forward(ids));
}

// Keeps model and adapter together. Members are destroyed in reverse order: the model (which
// holds the adapter's deltas) before the adapter.
struct Adapted {
  std::shared_ptr<Adapter> adapter;
  std::unique_ptr<CausalLM> model;
};

// A two-layer model on `device` with LoRA r 4 in training mode, computing in the input's dtype,
// with random lora_B.
Adapted training_adapted(c10::Device device, at::ScalarType dtype, double dropout, const char* dropout_mask = "redraw",
                         bool fused_dropout = false) {
  Adapted a;
  a.model = tiny_model(2, 1, device, dtype);
  a.adapter = make_lora({{"r", 4},
                         {"alpha", 8},
                         {"dropout", dropout},
                         {"compute", "input"},
                         {"dropout_mask", dropout_mask},
                         {"fused_dropout", fused_dropout}});
  a.adapter->attach(*a.model);
  a.adapter->set_training(true);
  randomize_b(*a.adapter, 6);
  return a;
}

Adapted adapted(Table cfg = {}, std::uint64_t seed = 0, std::int64_t layers = 2) {
  Adapted a;
  a.model = tiny_model(layers);
  a.adapter = make_lora(std::move(cfg), seed);
  a.adapter->attach(*a.model);
  return a;
}

std::vector<std::string> adapted_sites(const Adapter& a) {
  std::vector<std::string> out;
  for (const auto& [name, p] : a.parameters())
    if (name.find(".lora_A.") != std::string::npos)
      out.push_back(name.substr(std::string("base_model.model.model.").size(),
                                name.size() - std::string("base_model.model.model.").size() -
                                    std::string(".lora_A.weight").size()));
  return out;
}

// ---------------------------------------------------------------- options

TEST(LoraOptions, DefaultsAreDocumented) {
  std::map<std::string, std::string> want = {
      {"r", "16"},
      {"alpha", "32.0"},
      {"dropout", "0.05"},
      {"target_modules", R"(["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])"},
      {"target_regex", R"("")"},
      {"rslora", "false"},
      {"dtype", R"("float32")"},
      {"compute", R"("adapter")"},
      {"dropout_mask", R"("redraw")"},
      {"fused_dropout", "false"},
      {"base_model", R"("")"}};
  const auto& opts = lora_library()->info().options;
  ASSERT_EQ(opts.size(), want.size());
  for (const OptionSpec& o : opts) {
    ASSERT_TRUE(want.count(o.key)) << o.key;
    EXPECT_EQ(to_toml_text(*o.default_value), want[o.key]) << o.key;
    EXPECT_FALSE(o.doc.empty()) << o.key;
  }
  // README.md lists every option.
  const std::string readme = read_bytes(fs::path(SOCRATES_SOURCE_DIR) / "plugins/adapter/lora/README.md");
  for (const OptionSpec& o : opts) EXPECT_THAT(readme, HasSubstr("`" + o.key + "`")) << o.key;
}

TEST(LoraOptions, BadValuesAreConfigErrorsWithExactMessages) {
  EXPECT_THAT([] { make_lora({{"r", 0}}); }, ThrowsMessage<ConfigError>("'adapter.r': must be a positive integer, got 0"));
  EXPECT_THAT([] { make_lora({{"r", -3}}); },
              ThrowsMessage<ConfigError>("'adapter.r': must be a positive integer, got -3"));
  EXPECT_THAT([] { make_lora({{"dropout", 1.0}}); },
              ThrowsMessage<ConfigError>("'adapter.dropout': must be in [0, 1), got 1"));
  EXPECT_THAT([] { make_lora({{"dropout", -0.1}}); },
              ThrowsMessage<ConfigError>("'adapter.dropout': must be in [0, 1), got -0.1"));
  EXPECT_THAT([] { make_lora({{"target_modules", Array{}}}); },
              ThrowsMessage<ConfigError>(
                  "'adapter.target_modules': is empty; name the layers to adapt (e.g. [\"q_proj\", \"v_proj\"]), "
                  "use [\"all-linear\"], or set target_regex"));
  EXPECT_THAT([] { make_lora({{"target_modules", names({"all-linear", "q_proj"})}}); },
              ThrowsMessage<ConfigError>("'adapter.target_modules': \"all-linear\" must be the only entry (it "
                                         "already selects every linear layer)"));
  EXPECT_THAT([] { make_lora({{"compute", "bf16"}}); },
              ThrowsMessage<ConfigError>("'adapter.compute': must be \"adapter\" or \"input\", got \"bf16\""));
  EXPECT_THAT([] { make_lora({{"dropout_mask", "bits"}}); },
              ThrowsMessage<ConfigError>("'adapter.dropout_mask': must be \"redraw\" or \"keep\", got \"bits\""));
  EXPECT_NO_THROW(make_lora({{"dropout_mask", "keep"}}));
  EXPECT_THAT([] { make_lora({{"target_regex", "layers.(0"}}); },
              ThrowsMessage<ConfigError>(HasSubstr("'adapter.target_regex': is not a valid regular expression: ")));
}

TEST(LoraOptions, TargetsThatMatchNothingFailAtAttach) {
  auto model = tiny_model();
  auto a = make_lora({{"target_modules", names({"q_proj", "qkv_proj"})}});
  EXPECT_THAT([&] { a->attach(*model); },
              ThrowsMessage<ConfigError>(
                  "'adapter.target_modules': \"qkv_proj\" matches no linear layer; the linear layers of this "
                  "Qwen2ForCausalLM are named like layers.0.self_attn.q_proj, with last components q_proj, k_proj, "
                  "v_proj, o_proj, gate_proj, up_proj, down_proj"));
  auto b = make_lora({{"target_regex", "layers\\.7\\..*"}});
  EXPECT_THAT([&] { b->attach(*model); },
              ThrowsMessage<ConfigError>(HasSubstr("'adapter.target_regex': \"layers\\.7\\..*\" matches no linear "
                                                   "layer; the linear layers of this Qwen2ForCausalLM")));
}

// ---------------------------------------------------------------- targets

TEST(LoraTargets, DefaultIsTheSevenProjectionsOfEveryLayer) {
  auto a = adapted({}, 0, 2);
  const auto sites = adapted_sites(*a.adapter);
  ASSERT_EQ(sites.size(), 14u);
  EXPECT_EQ(sites[0], "layers.0.self_attn.q_proj");
  EXPECT_EQ(sites[6], "layers.0.mlp.down_proj");
  EXPECT_EQ(sites[13], "layers.1.mlp.down_proj");
  // Stable order, A before B, PEFT names.
  const auto params = a.adapter->parameters();
  ASSERT_EQ(params.size(), 28u);
  EXPECT_EQ(params[0].first, "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
  EXPECT_EQ(params[1].first, "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight");
  for (const auto& [n, p] : params) EXPECT_TRUE(p.requires_grad()) << n;
}

TEST(LoraTargets, ListAllLinearAndRegex) {
  EXPECT_EQ(adapted_sites(*adapted({{"target_modules", names({"q_proj", "v_proj"})}}, 0, 3).adapter).size(), 6u);
  EXPECT_EQ(adapted_sites(*adapted({{"target_modules", names({"all-linear"})}}, 0, 3).adapter).size(), 21u);
  // Longer suffixes work as in PEFT.
  EXPECT_EQ(adapted_sites(*adapted({{"target_modules", names({"mlp.up_proj"})}}, 0, 3).adapter),
            (std::vector<std::string>{"layers.0.mlp.up_proj", "layers.1.mlp.up_proj", "layers.2.mlp.up_proj"}));
  // The regex replaces target_modules; it full-matches the layer name...
  auto r = adapted({{"target_regex", "layers\\.(0|1)\\..*_proj"}, {"target_modules", names({"nothing"})}}, 0, 3);
  EXPECT_EQ(adapted_sites(*r.adapter).size(), 14u);
  // ... or the Hugging Face module name, as PEFT's regexes do.
  auto h = adapted({{"target_regex", "model\\.layers\\.2\\.self_attn\\.(q|v)_proj"}}, 0, 3);
  EXPECT_EQ(adapted_sites(*h.adapter),
            (std::vector<std::string>{"layers.2.self_attn.q_proj", "layers.2.self_attn.v_proj"}));
  // Full match: "q_proj" alone is not a full layer name.
  auto m = tiny_model();
  EXPECT_THROW(make_lora({{"target_regex", "q_proj"}})->attach(*m), ConfigError);
}

TEST(LoraTargets, SavedTargetModulesSelectTheSameLayersInPeft) {
  auto list = adapted({{"target_modules", names({"v_proj", "q_proj"})}});
  auto d1 = temp_dir("targets-list");
  list.adapter->save(d1);
  EXPECT_EQ(read_json(d1 / "adapter_config.json").at("target_modules"), nlohmann::json({"q_proj", "v_proj"}));

  auto all = adapted({{"target_modules", names({"all-linear"})}});
  auto d2 = temp_dir("targets-all");
  all.adapter->save(d2);
  std::set<std::string> seven(std::begin(kSeven), std::end(kSeven));
  EXPECT_EQ(read_json(d2 / "adapter_config.json").at("target_modules").get<std::set<std::string>>(), seven);

  // A layer subset cannot be said with names: an exact regex on PEFT's module names.
  auto re = adapted({{"target_regex", "layers\\.1\\.self_attn\\.(q|k)_proj"}});
  auto d3 = temp_dir("targets-regex");
  re.adapter->save(d3);
  EXPECT_EQ(read_json(d3 / "adapter_config.json").at("target_modules"),
            "model\\.layers\\.1\\.self_attn\\.q_proj|model\\.layers\\.1\\.self_attn\\.k_proj");
  // ... which selects the same layers when loaded back.
  auto again = adapted({{"target_regex", "layers\\.1\\.self_attn\\.(q|k)_proj"}});
  EXPECT_NO_THROW(again.adapter->load(d3));
  for (const auto& d : {d1, d2, d3}) fs::remove_all(d);
}

// ---------------------------------------------------------------- init and forward

TEST(LoraInit, AIsKaimingUniformFromTheSeedAndBIsZero) {
  auto a = adapted({{"r", 4}}, 7);
  at::Generator gen = at::detail::createCPUGenerator(7);
  for (const auto& [name, p] : a.adapter->parameters()) {
    if (name.find(".lora_B.") != std::string::npos) {
      EXPECT_TRUE(at::equal(p, at::zeros_like(p))) << name;
      continue;
    }
    // torch.nn.init.kaiming_uniform_(a=sqrt(5)): bound = sqrt(3) * gain / sqrt(fan_in) = 1/sqrt(fan_in).
    const double a5 = std::sqrt(5.0);
    const double bound = std::sqrt(3.0) * (std::sqrt(2.0 / (1.0 + a5 * a5)) / std::sqrt(static_cast<double>(p.size(1))));
    EXPECT_NEAR(bound, 1.0 / std::sqrt(static_cast<double>(p.size(1))), 1e-12);
    EXPECT_LE(p.abs().max().item<double>(), bound * (1 + 1e-6)) << name;
    // What torch.empty(r, in).uniform_(-bound, bound, generator=g) gives, site after site.
    at::Tensor want = at::empty(p.sizes()).uniform_(-bound, bound, gen);
    EXPECT_TRUE(at::equal(p, want)) << name;
  }
  auto same = adapted({{"r", 4}}, 7), other = adapted({{"r", 4}}, 8);
  EXPECT_TRUE(at::equal(a.adapter->parameters()[0].second, same.adapter->parameters()[0].second));
  EXPECT_FALSE(at::equal(a.adapter->parameters()[0].second, other.adapter->parameters()[0].second));
}

TEST(LoraForward, DeltaIsScaledBAxAndRsloraChangesTheScale) {
  for (bool rs : {false, true}) {
    auto a = adapted({{"r", 4}, {"alpha", 6}, {"rslora", rs}, {"dropout", 0.0}});
    randomize_b(*a.adapter, 3);
    auto* q = dynamic_cast<Linear*>(a.model->linear_sites()[0]);
    ASSERT_NE(q, nullptr);
    at::Tensor x = at::randn({2, 5, q->in_features()});
    const auto params = a.adapter->parameters();
    const double scaling = rs ? 6.0 / 2.0 : 6.0 / 4.0;
    at::NoGradGuard g;
    at::Tensor want = at::linear(x, q->weight(), q->bias()) +
                      at::matmul(at::matmul(x, params[0].second.t()), params[1].second.t()) * scaling;
    EXPECT_LE(rel_error(q->forward(x), want), 1e-6) << "rslora " << rs;
  }
}

TEST(LoraForward, DropoutOnlyInTraining) {
  auto a = adapted({{"dropout", 0.5}});
  randomize_b(*a.adapter, 4);
  auto* q = dynamic_cast<Linear*>(a.model->linear_sites()[0]);
  at::NoGradGuard g;
  at::Tensor x = at::randn({4, 16, q->in_features()});
  const at::Tensor base = at::linear(x, q->weight(), q->bias());
  a.adapter->set_training(false);
  const at::Tensor e1 = q->forward(x), e2 = q->forward(x);
  EXPECT_TRUE(at::equal(e1, e2)) << "evaluation is deterministic";
  a.adapter->set_training(true);
  const at::Tensor t1 = q->forward(x), t2 = q->forward(x);
  EXPECT_FALSE(at::equal(t1, t2)) << "training draws new masks";
  EXPECT_GT(rel_error(t1 - base, e1 - base), 0.1) << "dropout changes the update";
  // Inverted dropout keeps the expectation: the mean over many masks approaches eval.
  at::Tensor mean = at::zeros_like(e1);
  const int n = 400;
  for (int i = 0; i < n; ++i) mean += q->forward(x) - base;
  EXPECT_LE(rel_error(mean / n, e1 - base), 0.2);
  a.adapter->set_training(false);
  EXPECT_TRUE(at::equal(q->forward(x), e1));
}

TEST(LoraForward, Bfloat16AdapterOnFloat32Model) {
  auto a = adapted({{"dtype", "bfloat16"}, {"dropout", 0.0}});
  randomize_b(*a.adapter, 5);
  for (const auto& [n, p] : a.adapter->parameters()) EXPECT_EQ(p.scalar_type(), at::kBFloat16) << n;
  auto* q = dynamic_cast<Linear*>(a.model->linear_sites()[0]);
  at::Tensor x = at::randn({3, q->in_features()});
  at::Tensor y = q->forward(x);
  EXPECT_EQ(y.scalar_type(), at::kFloat);
  const auto params = a.adapter->parameters();
  at::NoGradGuard g;
  at::Tensor d = at::linear(at::linear(x.to(at::kBFloat16), params[0].second), params[1].second) * 2.0;
  EXPECT_LE(rel_error(y - at::linear(x, q->weight(), q->bias()), d.to(at::kFloat)), 1e-5);
}

// compute = "input" on a bf16 model: A and B cast to bf16, the B product fused with the base
// output in one addmm; against the unfused autocast-style reference, outputs and fp32 gradients.
void check_compute_in_input_dtype(c10::Device device) {
  Adapted a;
  a.model = tiny_model(2, 1, device, at::kBFloat16);
  a.adapter = make_lora({{"r", 4}, {"alpha", 6}, {"dropout", 0.0}, {"compute", "input"}});
  a.adapter->attach(*a.model);
  randomize_b(*a.adapter, 6);
  auto* q = dynamic_cast<Linear*>(a.model->linear_sites()[0]);
  ASSERT_NE(q, nullptr);
  const auto params = a.adapter->parameters();
  const at::Tensor& pa = params[0].second;
  const at::Tensor& pb = params[1].second;
  ASSERT_EQ(pa.scalar_type(), at::kFloat) << "the parameters keep the adapter's dtype";
  at::manual_seed(7);
  const at::Tensor x = at::randn({3, 5, q->in_features()}, at::TensorOptions().device(device)).to(at::kBFloat16);
  const at::Tensor gy = at::randn({3, 5, q->out_features()}, at::TensorOptions().device(device)).to(at::kBFloat16);
  // The base output takes the B product in place (ABI 5): x's gradient must still see both.
  const at::Tensor xg = x.clone().requires_grad_(true), xr = x.clone().requires_grad_(true);
  const at::Tensor y = q->forward(xg);
  EXPECT_EQ(y.scalar_type(), at::kBFloat16);
  y.backward(gy);
  // Reference: separate leaves, unfused ops, the same casts.
  const at::Tensor ra = pa.detach().clone().requires_grad_(true), rb = pb.detach().clone().requires_grad_(true);
  const at::Tensor want = at::linear(xr, q->weight(), q->bias()) +
                          at::linear(at::linear(xr, ra.to(at::kBFloat16)) * 1.5, rb.to(at::kBFloat16));
  want.backward(gy);
  EXPECT_LE(rel_error(y.detach().to(at::kFloat), want.detach().to(at::kFloat)), 1e-2);
  EXPECT_LE(rel_error(xg.grad().to(at::kFloat), xr.grad().to(at::kFloat)), 2e-2);
  ASSERT_TRUE(pa.grad().defined() && pb.grad().defined());
  EXPECT_EQ(pa.grad().scalar_type(), at::kFloat);
  EXPECT_LE(rel_error(pa.grad(), ra.grad()), 2e-2);
  EXPECT_LE(rel_error(pb.grad(), rb.grad()), 2e-2);
  EXPECT_GT(pa.grad().abs().sum().item<double>(), 0.0);
  // A second backward adds to the float32 gradients, as the cast's own backward would.
  const at::Tensor ga = pa.grad().clone();
  q->forward(x).backward(gy);
  EXPECT_TRUE(at::allclose(pa.grad(), 2 * ga, 1e-5, 1e-6));
  // The bf16 copies follow the parameters: an in-place update (which bumps the version), and
  // after a backward also a write that bumps none (as raw optimizer kernels and broadcasts do).
  auto want_now = [&] {
    at::NoGradGuard g;
    return at::linear(x, q->weight(), q->bias()) +
           at::linear(at::linear(x, pa.to(at::kBFloat16)) * 1.5, pb.to(at::kBFloat16));
  };
  {
    at::NoGradGuard g;
    q->forward(x);  // a fresh copy that no backward has used: only the version can tell
    pa.add_(0.5);
  }
  EXPECT_LE(rel_error(q->forward(x).detach().to(at::kFloat), want_now().to(at::kFloat)), 1e-2) << "in-place update";
  q->forward(x).backward(gy);
  pb.data().add_(0.25);
  EXPECT_LE(rel_error(q->forward(x).detach().to(at::kFloat), want_now().to(at::kFloat)), 1e-2) << "unversioned write";
  // compute = "adapter" (the default) on the same model computes in float32 as PEFT does.
  Adapted f;
  f.model = tiny_model(2, 1, device, at::kBFloat16);
  f.adapter = make_lora({{"r", 4}, {"alpha", 6}, {"dropout", 0.0}});
  f.adapter->attach(*f.model);
  randomize_b(*f.adapter, 6);
  auto* fq = dynamic_cast<Linear*>(f.model->linear_sites()[0]);
  const auto fp = f.adapter->parameters();
  at::NoGradGuard g;
  const at::Tensor peft = at::linear(x, fq->weight(), fq->bias()) +
                          at::linear(at::linear(x.to(at::kFloat), fp[0].second) * 1.5, fp[1].second).to(at::kBFloat16);
  EXPECT_TRUE(at::equal(fq->forward(x), peft));
}

TEST(LoraForward, ComputeInInputDtypeFusesTheAddAndKeepsFloat32Gradients) { check_compute_in_input_dtype(c10::kCPU); }

TEST(LoraGpu, ComputeInInputDtypeFusesTheAddAndKeepsFloat32Gradients) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  check_compute_in_input_dtype(c10::Device(c10::kCUDA, 0));
}

// dropout_linear against the unfused ops under the same seed: on the CPU native_dropout, then
// linear; on CUDA x times the mask training_dropout draws (from ones), then linear. Bit-equal
// but for A's gradient, whose sum runs in another order; with `fused` (bfloat16 on CUDA: the
// dropout inside the GEMMs) all three agree up to that order.
void check_dropout_linear(c10::Device device, at::ScalarType dtype, bool redraw = true, bool fused = false) {
  const double p = 0.3;
  at::manual_seed(11);
  const at::Tensor x0 = at::randn({37, 24}).to(device, dtype), a0 = at::randn({4, 24}).to(device, dtype);
  const at::Tensor g = at::randn({37, 4}).to(device, dtype);
  auto leaves = [&] { return std::make_pair(x0.clone().requires_grad_(true), a0.clone().requires_grad_(true)); };
  auto [xr, ar] = leaves();
  auto [xf, af] = leaves();
  at::manual_seed(5);
  const at::Tensor h = device.is_cuda() && redraw
                           ? (xr.to(at::kFloat) * lora::training_dropout(at::ones({37, 24}, at::TensorOptions().device(device)), p)).to(dtype)
                           : std::get<0>(at::native_dropout(xr, p, true));
  const at::Tensor want = at::linear(h, ar);
  at::manual_seed(5);
  const at::Tensor got = lora::dropout_linear(xf, af, p, redraw, fused);
  want.backward(g);
  got.backward(g);
  const double tol = dtype == at::kFloat ? 1e-6 : 1.0 / 128;
  if (fused) {
    EXPECT_LE(rel_error(got.to(at::kFloat), want.to(at::kFloat)), tol) << "forward";
    EXPECT_LE(rel_error(xf.grad().to(at::kFloat), xr.grad().to(at::kFloat)), tol) << "d x";
    EXPECT_TRUE(at::equal(xf.grad() == 0, xr.grad() == 0)) << "the same values dropped";
  } else {
    EXPECT_TRUE(at::equal(got, want)) << "forward";
    EXPECT_TRUE(at::equal(xf.grad(), xr.grad())) << "d x, max |diff| " << (xf.grad() - xr.grad()).abs().max().item<double>();
  }
  EXPECT_LE(rel_error(af.grad().to(at::kFloat), ar.grad().to(at::kFloat)), tol) << "d A";
  EXPECT_GT((xf.grad() == 0).sum().item<std::int64_t>(), 0) << "dropped values get no gradient";
  // Without grad mode (gradient checkpointing's first pass) the same seed gives the same output.
  {
    at::NoGradGuard no_grad;
    at::manual_seed(5);
    EXPECT_TRUE(at::equal(lora::dropout_linear(x0, a0, p, redraw, fused), got.detach())) << "no-grad pass";
  }
}

// CUDA's seed-drawn dropout: a function of the generator state, dropping about p of the values
// and scaling the rest by 1 / (1 - p) exactly as native_dropout does.
TEST(LoraGpu, SeedDrawnDropoutIsReproducibleAndDropsAboutP) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  const auto opts = at::TensorOptions().device(c10::Device(c10::kCUDA, 0));
  for (const double p : {0.05, 0.5}) {
    const at::Tensor x = at::randn({999, 1001}, opts);  // numel not a multiple of 4
    at::manual_seed(7);
    const at::Tensor y1 = lora::training_dropout(x, p), y2 = lora::training_dropout(x, p);
    at::manual_seed(7);
    const at::Tensor y1again = lora::training_dropout(x, p);
    EXPECT_TRUE(at::equal(y1, y1again)) << "the same seed, the same mask";
    EXPECT_FALSE(at::equal(y1, y2)) << "the generator moves on";
    const at::Tensor kept = y1 != 0;
    const double frac = 1.0 - kept.to(at::kDouble).mean().item<double>();
    EXPECT_NEAR(frac, p, 0.005) << "p = " << p;
    EXPECT_TRUE(at::equal(y1.masked_select(kept), (x * static_cast<float>(1.0 / (1.0 - p))).masked_select(kept)));
    // bfloat16 rounds once, from float32: the same mask and the float32 product rounded.
    const at::Tensor xb = x.to(at::kBFloat16);
    at::manual_seed(7);
    const at::Tensor yb = lora::training_dropout(xb, p);
    at::manual_seed(7);
    EXPECT_TRUE(at::equal(yb, lora::training_dropout(xb.to(at::kFloat), p).to(at::kBFloat16)));
    // A view one element into its storage (not aligned for 8-wide loads) takes the element-wise
    // path: the same values as an aligned copy of it.
    const at::Tensor flat = x.flatten().narrow(0, 1, x.numel() - 1);
    at::manual_seed(7);
    const at::Tensor unaligned = lora::training_dropout(flat, p);
    at::manual_seed(7);
    EXPECT_TRUE(at::equal(unaligned, lora::training_dropout(flat.clone(), p)));
  }
}

// The dropout-add that gathers a group's input gradient: acc + dropout(x) under one seed and
// offset, bit-equal to at::add of dropout_philox's tensor, on the 8-wide path and the
// element-wise one (an odd size, an unaligned input).
TEST(LoraGpu, DropoutAddIsTheAddOfTheDroppedTensor) {
#if SOCRATES_LORA_CUDA
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  const c10::Device cuda(c10::kCUDA, 0);
  for (const at::ScalarType dtype : {at::kFloat, at::kBFloat16}) {
    const at::Tensor big = at::randn({1001 * 37 + 1}, at::TensorOptions().device(cuda)).to(dtype);
    for (const at::Tensor& x : {big.narrow(0, 0, 1000 * 36).view({1000, 36}), big.narrow(0, 0, 1001 * 37),
                                big.narrow(0, 1, 1001 * 37)}) {
      const at::Tensor acc0 = at::randn(x.sizes(), at::TensorOptions().device(cuda)).to(dtype);
      const lora::PhiloxSeed s = lora::draw_philox_seed(cuda);
      const at::Tensor want = acc0 + lora::dropout_philox(x, 0.3, s);
      at::Tensor acc = acc0.clone();
      lora::dropout_philox_add_(acc, x, 0.3, s);
      EXPECT_TRUE(at::equal(acc, want)) << c10::toString(dtype) << " " << x.sizes();
      EXPECT_GT((acc == acc0).sum().item<std::int64_t>(), 0) << "dropped values add nothing";
    }
    at::Tensor wrong = at::zeros({5}, at::TensorOptions().device(cuda)).to(dtype);
    EXPECT_THROW(lora::dropout_philox_add_(wrong, big, 0.3, lora::draw_philox_seed(cuda)), std::invalid_argument);
  }
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

#if SOCRATES_LORA_CUDA
// The fused dropout GEMMs against the float64 products of the separate dropout kernel's output
// under one seed, on shapes with partial tiles (rows past 64 k, columns not a multiple of 64,
// ranks padded to 16) and on full ones. p = 0.5, so a misplaced mask moves every sum.
void check_dropout_gemms(at::ScalarType dtype, std::int64_t n, std::int64_t k, std::int64_t rank, double p) {
  const auto opts = at::TensorOptions().device(c10::Device(c10::kCUDA, 0));
  const std::string where = std::string(c10::toString(dtype)) + " n " + std::to_string(n) + " k " +
                            std::to_string(k) + " rank " + std::to_string(rank) + " p " + std::to_string(p);
  at::manual_seed(17);
  const at::Tensor x = at::randn({n, k}, opts).to(dtype), a = at::randn({rank, k}, opts).to(dtype);
  const at::Tensor g = at::randn({n, rank}, opts).to(dtype);
  const lora::PhiloxSeed s = lora::draw_philox_seed(x.device());
  // The separate path's mask: 0 or 1 / (1 - p) at each element, as float.
  const at::Tensor m = lora::dropout_philox(at::ones({n, k}, opts), p, s);
  const at::Tensor h = lora::dropout_philox(x, p, s);
  ASSERT_TRUE(at::equal(h, (x.to(at::kFloat) * m).to(dtype))) << where;
  const double tol = dtype == at::kBFloat16 ? 1.0 / 128 : 1.0 / 1024;
  // dropout(x) aᵀ and gᵀ dropout(x): rounded once from float sums.
  const at::Tensor u = lora::dropped_mm(x, a, p, s);
  EXPECT_LE(rel_error(u, at::mm(h.to(at::kDouble), a.to(at::kDouble).t())), tol) << "dropout(x) aᵀ " << where;
  EXPECT_TRUE(at::equal(u, lora::dropped_mm(x, a, p, s))) << "the same bits again " << where;
  const at::Tensor da = lora::mm_t_dropped(g, x, p, s);
  EXPECT_LE(rel_error(da, at::mm(g.to(at::kDouble).t(), h.to(at::kDouble))), tol) << "gᵀ dropout(x) " << where;
  EXPECT_TRUE(at::equal(da, lora::mm_t_dropped(g, x, p, s))) << "the same bits again " << where;
  // dropout(g a): the product rounded to the dtype first, as at::mm's; dropped values exactly 0.
  // Both sums run in float, in other orders: they may differ by float rounding of the terms'
  // magnitudes (|g| |a| / (1 - p)) before the rounding to the dtype, one unit of which the bound allows.
  const at::Tensor t = at::mm(g, a);
  const at::Tensor want = (t.to(at::kFloat) * m).to(dtype);
  const at::Tensor got = lora::mm_dropped(g, a, p, s);
  const at::Tensor dropped = m == 0;
  const at::Tensor slack = at::mm(g.abs().to(at::kFloat), a.abs().to(at::kFloat)) * (1e-5 / (1.0 - p));
  EXPECT_TRUE(at::equal(got.masked_select(dropped), want.masked_select(dropped))) << where;
  const at::Tensor off = (got.to(at::kFloat) - want.to(at::kFloat)).abs();
  EXPECT_TRUE((off <= want.to(at::kFloat).abs() * (2 * tol) + slack).all().item<bool>())
      << "dropout(g a), max |diff| " << off.max().item<double>() << " " << where;
  // += into a sum: as dropout_philox_add_ adds the separate path's product.
  const at::Tensor acc0 = at::randn({n, k}, opts).to(dtype);
  at::Tensor sum = acc0.clone();
  EXPECT_EQ(lora::mm_dropped(g, a, p, s, sum).data_ptr(), sum.data_ptr()) << "in place";
  at::Tensor sum_want = acc0.clone();
  lora::dropout_philox_add_(sum_want, t, p, s);
  EXPECT_TRUE(at::equal(sum.masked_select(dropped), acc0.masked_select(dropped))) << where;
  const at::Tensor sum_off = (sum.to(at::kFloat) - sum_want.to(at::kFloat)).abs();
  EXPECT_TRUE((sum_off <= (acc0.to(at::kFloat).abs() + want.to(at::kFloat).abs()) * (2 * tol) + slack).all().item<bool>())
      << "sum + dropout(g a), max |diff| " << sum_off.max().item<double>() << " " << where;
}
#endif

TEST(LoraGpu, FusedDropoutGemmsEqualTheSeparateDropoutAndProducts) {
#if SOCRATES_LORA_CUDA
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  for (const at::ScalarType dtype : {at::kBFloat16, at::kHalf}) {
    check_dropout_gemms(dtype, 333, 136, 32, 0.5);  // partial tiles in n and k
    check_dropout_gemms(dtype, 128, 256, 16, 0.05);
    check_dropout_gemms(dtype, 70, 72, 4, 0.3);      // rank padded to 16, not a multiple of 8
    check_dropout_gemms(dtype, 257, 512, 48, 0.5);   // three fragments
    check_dropout_gemms(dtype, 65, 64, 128, 0.5);    // the largest rank
    check_dropout_gemms(dtype, 4096, 1024, 32, 0.1); // many slices of the reductions
    check_dropout_gemms(dtype, 8192, 1088, 32, 0.5); // several tiles a slice, a shorter last slice
  }
  const auto opts = at::TensorOptions().device(c10::Device(c10::kCUDA, 0));
  const lora::PhiloxSeed s = lora::draw_philox_seed(c10::Device(c10::kCUDA, 0));
  // A view one element into its storage is copied to an aligned tensor: the same values.
  const at::Tensor big = at::randn({40 * 64 + 1}, opts).to(at::kBFloat16);
  const at::Tensor x = big.narrow(0, 1, 40 * 64).view({40, 64}), a = at::randn({8, 64}, opts).to(at::kBFloat16);
  EXPECT_TRUE(at::equal(lora::dropped_mm(x, a, 0.5, s), lora::dropped_mm(x.clone(), a, 0.5, s)));
  // What they do not take is an error naming it, before any launch.
  EXPECT_FALSE(lora::dropout_gemm_supported(x.to(at::kFloat), 64, 8));
  EXPECT_FALSE(lora::dropout_gemm_supported(x, 60, 8));
  EXPECT_FALSE(lora::dropout_gemm_supported(x, 64, 129));
  EXPECT_THROW(lora::dropped_mm(x.to(at::kFloat), a.to(at::kFloat), 0.5, s), std::invalid_argument);
  EXPECT_THROW(lora::dropped_mm(x, a.narrow(1, 0, 32), 0.5, s), std::invalid_argument);
  EXPECT_THROW(lora::mm_dropped(x.narrow(1, 0, 8), a, 0.5, s, at::zeros({40, 63}, opts).to(at::kBFloat16)),
               std::invalid_argument);
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

// Through the adapter, in training with dropout on a bfloat16 model: fused_dropout = true and
// false draw the same masks, so the loss and every gradient agree up to the order of the sums;
// another seed moves them.
TEST(LoraGpu, FusedDropoutTrainsAsTheSeparateKernels) {
#if SOCRATES_LORA_CUDA
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  const c10::Device cuda(c10::kCUDA, 0);
  const at::Tensor ids = at::randint(97, {2, 9}, at::kLong);
  auto grads = [&](bool fused, std::int64_t seed) {
    Adapted a = training_adapted(cuda, at::kBFloat16, 0.3, "redraw", fused);
    at::manual_seed(seed);
    const LossSum l = causal_lm_loss(*a.model, a.model->forward(ids), ids);
    (l.sum / static_cast<double>(l.tokens)).backward();
    std::vector<at::Tensor> out{l.sum.detach().cpu()};
    for (const auto& [name, p] : a.adapter->parameters()) out.push_back(p.grad().detach().cpu().clone());
    return out;
  };
  const auto fused = grads(true, 42), separate = grads(false, 42), other = grads(true, 43);
  ASSERT_EQ(fused.size(), separate.size());
  EXPECT_LE(rel_error(fused[0], separate[0]), 1e-2) << "loss";
  double moved = 0;
  for (std::size_t i = 1; i < fused.size(); ++i) {
    EXPECT_LE(rel_error(fused[i], separate[i]), 3e-2) << "gradient " << i;
    moved = std::max(moved, rel_error(other[i], fused[i]));
  }
  EXPECT_GT(moved, 0.1) << "another seed draws other masks";
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

#if SOCRATES_LORA_CUDA
struct Slot : socrates::InputGradSlot {
  at::Tensor g;
  at::Tensor& grad() override { return g; }
};
#endif

// Two deltas on one input, as a group's (the first writes x's gradient, the second adds into
// it), through lora_add_into with the fused kernels and with the separate ones: the fused ones
// ran (three calls a delta), and the output and every gradient agree up to the order of the sums.
TEST(LoraGpu, FusedDropoutLoraAddEqualsTheSeparateKernels) {
#if SOCRATES_LORA_CUDA
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  const auto opts = at::TensorOptions().device(c10::Device(c10::kCUDA, 0)).dtype(at::kBFloat16);
  at::manual_seed(9);
  const at::Tensor x0 = at::randn({300, 136}, opts);
  std::vector<at::Tensor> a0, b0, base0, dy;
  for (const std::int64_t out : {72, 40}) {
    a0.push_back(at::randn({32, 136}, opts) * 0.1);
    b0.push_back(at::randn({out, 32}, opts) * 0.1);
    base0.push_back(at::randn({300, out}, opts));
    dy.push_back(at::randn({300, out}, opts));
  }
  auto run = [&](bool fused) {
    Slot slot;
    const at::Tensor x = x0.clone().requires_grad_(true);
    std::vector<at::Tensor> leaves, ys;
    at::manual_seed(31);
    for (std::size_t i = 0; i < 2; ++i) {
      leaves.push_back(a0[i].clone().requires_grad_(true));
      leaves.push_back(b0[i].clone().requires_grad_(true));
      const at::Tensor base = base0[i].clone().requires_grad_(true);
      ys.push_back(lora::lora_add_into(x, base * 1, leaves[2 * i], leaves[2 * i + 1], {2.0, 0.5, true, fused}, slot));
    }
    torch::autograd::backward(ys, dy);
    std::vector<at::Tensor> out;
    for (const at::Tensor& y : ys) out.push_back(y.detach());
    out.push_back(slot.g);
    for (const at::Tensor& l : leaves) out.push_back(l.grad());
    return out;
  };
  const std::int64_t before = lora::dropout_gemm_calls();
  const auto fused = run(true);
  EXPECT_EQ(lora::dropout_gemm_calls() - before, 6) << "the fused kernels ran: forward, A's and x's gradients";
  const auto separate = run(false);
  EXPECT_EQ(lora::dropout_gemm_calls() - before, 6) << "the separate path calls none";
  ASSERT_EQ(fused.size(), separate.size());
  for (std::size_t i = 0; i < fused.size(); ++i) {
    ASSERT_TRUE(fused[i].defined() && separate[i].defined()) << i;
    EXPECT_LE(rel_error(fused[i].to(at::kFloat), separate[i].to(at::kFloat)), 2.0 / 128) << "tensor " << i;
  }
  EXPECT_TRUE(at::equal(fused[2] == 0, separate[2] == 0)) << "x's gradient: the same values dropped by both deltas";
#else
  GTEST_SKIP() << "built without CUDA";
#endif
}

// An optimizer step that no backward of this rank preceded (DDP or zero2 with no micro-batch
// here, gradients from the all-reduce), right after an evaluation forward that refreshed the
// bfloat16 copies of A and B: the next forward must use the updated parameters. The copies
// refresh on the parameters' version, which adamw's fused kernel bumps as an in-place op would.
TEST(LoraCastGroup, AStepWithoutABackwardStillReachesTheNextForward) {
  for (const bool fused : {true, false}) {
    Adapted a;
    a.model = tiny_model(2, 1, c10::kCPU, at::kBFloat16);
    a.adapter = make_lora({{"r", 4}, {"alpha", 8}, {"dropout", 0.0}, {"compute", "input"}});
    a.adapter->attach(*a.model);
    randomize_b(*a.adapter, 6);
    const at::Tensor ids = at::randint(97, {2, 9}, at::kLong);
    const at::Tensor before = logits_of(*a.model, ids);
    auto params = a.adapter->parameters();
    auto opt = make_adamw(Table{{"fused", fused}});
    opt->init(params);
    at::manual_seed(4);
    for (auto& [name, p] : params) p.mutable_grad() = at::randn(p.sizes());
    opt->step(0.05);
    const at::Tensor after = logits_of(*a.model, ids);
    // The same parameters, their copies made again for certain (an in-place write bumps the versions).
    {
      at::NoGradGuard g;
      for (auto& [name, p] : params) p.copy_(p.clone());
    }
    const at::Tensor fresh = logits_of(*a.model, ids);
    EXPECT_FALSE(at::equal(after, before)) << "fused " << fused << ": the step reached the forward";
    EXPECT_TRUE(at::equal(after, fresh)) << "fused " << fused;
  }
}

TEST(LoraDropoutLinear, KeepsNoDroppedCopyAndGivesTheUnfusedGradients) {
  for (const bool redraw : {true, false}) {  // the CPU keeps the mask either way
    check_dropout_linear(c10::kCPU, at::kFloat, redraw);
    check_dropout_linear(c10::kCPU, at::kBFloat16, redraw);
  }
}

TEST(LoraGpu, DropoutLinearDrawsTheMaskAgainAndGivesTheUnfusedGradients) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  const c10::Device cuda(c10::kCUDA, 0);
  check_dropout_linear(cuda, at::kFloat);
  check_dropout_linear(cuda, at::kBFloat16);
  check_dropout_linear(cuda, at::kBFloat16, true, true);  // the dropout inside the GEMMs
  // dropout_mask = "keep": native_dropout's mask, kept.
  check_dropout_linear(cuda, at::kFloat, false);
  check_dropout_linear(cuda, at::kBFloat16, false);
  // Through the layer, in training with dropout: the same output and gradients as PEFT's ops.
  Adapted a = training_adapted(cuda, at::kBFloat16, 0.25);
  auto* q = dynamic_cast<Linear*>(a.model->linear_sites()[0]);
  const auto params = a.adapter->parameters();
  const at::Tensor &pa = params[0].second, &pb = params[1].second;
  at::manual_seed(3);
  const at::Tensor x = at::randn({2, 9, q->in_features()}, at::TensorOptions().device(cuda)).to(at::kBFloat16);
  const at::Tensor gy = at::randn({2, 9, q->out_features()}, at::TensorOptions().device(cuda)).to(at::kBFloat16);
  at::manual_seed(21);
  const at::Tensor y = q->forward(x);
  y.backward(gy);
  const at::Tensor ra = pa.detach().clone().requires_grad_(true), rb = pb.detach().clone().requires_grad_(true);
  at::manual_seed(21);
  const at::Tensor m = lora::training_dropout(at::ones({18, q->in_features()}, at::TensorOptions().device(cuda)), 0.25);
  const at::Tensor h = (x.reshape({-1, q->in_features()}).to(at::kFloat) * m).to(at::kBFloat16);
  const at::Tensor want = at::linear(x, q->weight(), q->bias()) +
                          at::linear(at::linear(h, ra.to(at::kBFloat16)) * 2.0, rb.to(at::kBFloat16)).view(y.sizes());
  want.backward(gy);
  EXPECT_LE(rel_error(y.detach().to(at::kFloat), want.detach().to(at::kFloat)), 1e-2);
  EXPECT_LE(rel_error(pa.grad(), ra.grad()), 2e-2);
  EXPECT_LE(rel_error(pb.grad(), rb.grad()), 2e-2);
}

// The model's group path for q, k, v (LoraDelta::forward_add_into: x's gradient gathered in the
// host's slot, each delta's dropout applied in the pass that adds it) against each layer's own
// autograd under one seed: the same outputs, the same A and B gradients, and x's gradient up to
// the order of the sum.
void check_linear_group(c10::Device device, at::ScalarType dtype, const char* dropout_mask, bool fused_dropout = false) {
  Adapted a = training_adapted(device, dtype, 0.3, dropout_mask, fused_dropout);
  const auto sites = a.model->linear_sites();
  const Linear *q = dynamic_cast<Linear*>(sites[0]), *k = dynamic_cast<Linear*>(sites[1]),
               *v = dynamic_cast<Linear*>(sites[2]);
  ASSERT_TRUE(q && k && v);
  const auto params = a.adapter->parameters();
  const auto opts = at::TensorOptions().device(device);
  at::manual_seed(3);
  const at::Tensor x0 = at::randn({2, 9, q->in_features()}, opts).to(dtype);
  std::vector<at::Tensor> dy;
  for (const Linear* l : {q, k, v}) dy.push_back(at::randn({2, 9, l->out_features()}, opts).to(dtype));
  auto run = [&](bool fused) {
    for (const auto& [name, p] : params) p.mutable_grad() = at::Tensor();
    const at::Tensor x = x0.clone().requires_grad_(true);
    at::manual_seed(21);
    const std::vector<at::Tensor> y = linear_group({q, k, v}, x, fused);
    torch::autograd::backward(y, dy);
    std::vector<at::Tensor> out;
    for (const at::Tensor& t : y) out.push_back(t.detach());
    out.push_back(x.grad());
    for (const auto& [name, p] : params) out.push_back(p.grad().defined() ? p.grad().clone() : at::Tensor());
    return out;
  };
  const auto got = run(true), want = run(false);
  const double tol = dtype == at::kFloat ? 1e-6 : 1e-2;
  for (std::size_t i = 0; i < 3; ++i) EXPECT_TRUE(at::equal(got[i], want[i])) << "output " << i;
  EXPECT_LE(rel_error(got[3].to(at::kFloat), want[3].to(at::kFloat)), tol) << "d x";
  EXPECT_GT((got[3] != 0).sum().item<std::int64_t>(), 0);
  std::size_t with_grad = 0;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const at::Tensor &g = got[4 + i], &w = want[4 + i];
    ASSERT_EQ(g.defined(), w.defined()) << params[i].first;
    if (!g.defined()) continue;
    ++with_grad;
    EXPECT_LE(rel_error(g, w), tol) << params[i].first;
  }
  EXPECT_EQ(with_grad, 6u) << "A and B of q, k and v";
  // Another seed draws other masks: x's gradient changes (dropout reaches it).
  for (const auto& [name, p] : params) p.mutable_grad() = at::Tensor();
  const at::Tensor x = x0.clone().requires_grad_(true);
  at::manual_seed(22);
  torch::autograd::backward(linear_group({q, k, v}, x, true), dy);
  EXPECT_GT((x.grad() - got[3]).abs().max().item<double>(), 0.0);
}

TEST(LoraLinearGroup, GatheredInputGradientEqualsEachLayersAutograd) {
  check_linear_group(c10::kCPU, at::kFloat, "redraw");
  check_linear_group(c10::kCPU, at::kBFloat16, "redraw");
}

TEST(LoraGpu, LinearGroupGatheredInputGradientEqualsEachLayersAutograd) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  const c10::Device cuda(c10::kCUDA, 0);
  for (const char* mask : {"redraw", "keep"}) {
    check_linear_group(cuda, at::kFloat, mask);
    check_linear_group(cuda, at::kBFloat16, mask);
  }
  check_linear_group(cuda, at::kBFloat16, "redraw", true);  // the dropout inside the GEMMs
}

// Gradient checkpointing with LoRA dropout: the recompute must draw the masks of the first pass
// (on CUDA from the Philox seed and offset the restored generator state hands out again), so
// the gradients equal those without checkpointing; another seed gives other gradients.
void check_checkpointing_replays_dropout(c10::Device device, const char* dropout_mask) {
  Adapted a = training_adapted(device, at::kFloat, 0.3, dropout_mask);
  const auto params = a.adapter->parameters();
  const at::Tensor ids = at::randint(97, {2, 9}, at::kLong);
  at::Tensor labels = ids.clone();
  labels.narrow(1, 0, 4).fill_(-100);
  auto grads = [&](bool ckpt, std::int64_t seed) {
    a.model->set_gradient_checkpointing(ckpt);
    for (const auto& [name, p] : params) p.mutable_grad() = at::Tensor();
    at::manual_seed(seed);
    const LossSum l = causal_lm_loss(*a.model, a.model->forward(ids), labels);
    (l.sum / static_cast<double>(l.tokens)).backward();
    std::vector<at::Tensor> out;
    for (const auto& [name, p] : params) out.push_back(p.grad().detach().cpu().clone());
    return out;
  };
  const auto plain = grads(false, 42), ckpt = grads(true, 42), other = grads(false, 43);
  ASSERT_EQ(plain.size(), ckpt.size());
  double differs = 0;
  for (std::size_t i = 0; i < plain.size(); ++i) {
    EXPECT_TRUE(at::allclose(plain[i], ckpt[i], 1e-5, 1e-7)) << params[i].first;
    differs = std::max(differs, (plain[i] - other[i]).abs().max().item<double>());
  }
  EXPECT_GT(differs, 1e-4) << "another seed draws other masks";
}

TEST(LoraCheckpointing, RecomputeReplaysTheDropoutMasks) { check_checkpointing_replays_dropout(c10::kCPU, "redraw"); }

TEST(LoraGpu, CheckpointingRecomputeReplaysTheDropoutMasks) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  for (const char* mask : {"redraw", "keep"}) check_checkpointing_replays_dropout(c10::Device(c10::kCUDA, 0), mask);
}

// ---------------------------------------------------------------- save / load

TEST(LoraSaveLoad, RoundTripIsByteIdentical) {
  auto a = adapted({{"r", 4}, {"alpha", 8}}, 1);
  randomize_b(*a.adapter, 6);
  const fs::path d1 = temp_dir("rt1"), d2 = temp_dir("rt2");
  a.adapter->save(d1);
  // A different seed: every tensor must come from the file.
  auto b = adapted({{"r", 4}, {"alpha", 8}}, 2);
  b.adapter->load(d1);
  const auto pa = a.adapter->parameters(), pb = b.adapter->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    EXPECT_EQ(pa[i].first, pb[i].first);
    EXPECT_TRUE(at::equal(pa[i].second, pb[i].second)) << pa[i].first;
    EXPECT_TRUE(pb[i].second.requires_grad());
  }
  b.adapter->save(d2);
  EXPECT_EQ(read_bytes(d1 / "adapter_model.safetensors"), read_bytes(d2 / "adapter_model.safetensors"));
  EXPECT_EQ(read_bytes(d1 / "adapter_config.json"), read_bytes(d2 / "adapter_config.json"));
  const StateDict sd = host_services().load_tensors(d1 / "adapter_model.safetensors");
  EXPECT_EQ(sd.meta, (std::map<std::string, std::string>{{"format", "pt"}}));
  EXPECT_EQ(sd.tensors.size(), pa.size());
  fs::remove_all(d1);
  fs::remove_all(d2);
}

TEST(LoraSaveLoad, SavedConfigHasPeftsKeysAndValues) {
  auto a = adapted({{"r", 4}, {"alpha", 8}, {"dropout", 0.1}, {"base_model", "Qwen/Qwen2.5-0.5B"}});
  const fs::path d = temp_dir("cfg");
  a.adapter->save(d);
  const nlohmann::json c = read_json(d / "adapter_config.json");
  EXPECT_EQ(c.at("peft_type"), "LORA");
  EXPECT_EQ(c.at("task_type"), "CAUSAL_LM");
  EXPECT_EQ(c.at("r"), 4);
  EXPECT_TRUE(c.at("lora_alpha").is_number_integer());
  EXPECT_EQ(c.at("lora_alpha"), 8);
  EXPECT_EQ(c.at("lora_dropout"), 0.1);
  EXPECT_EQ(c.at("use_rslora"), false);
  EXPECT_EQ(c.at("bias"), "none");
  EXPECT_EQ(c.at("fan_in_fan_out"), false);
  EXPECT_EQ(c.at("init_lora_weights"), true);
  EXPECT_EQ(c.at("base_model_name_or_path"), "Qwen/Qwen2.5-0.5B");
  EXPECT_TRUE(c.at("modules_to_save").is_null());
  EXPECT_EQ(c.at("use_dora"), false);
  EXPECT_EQ(c.at("inference_mode"), true);
  EXPECT_EQ(c.at("peft_version"), "0.21.0");
  EXPECT_EQ(c.at("target_modules").get<std::set<std::string>>(),
            std::set<std::string>(std::begin(kSeven), std::end(kSeven)));
  // Exactly the keys PEFT 0.21 writes (those of every fixture adapter), 2-space indent.
  for (const fs::path& f : socrates::testing_fixtures::model_fixtures()) {
    const fs::path cf = f / "adapter" / "adapter_config.json";
    if (!fs::is_regular_file(cf)) continue;
    std::set<std::string> want, got;
    const nlohmann::json peft = read_json(cf);
    for (const auto& [k, v] : peft.items()) want.insert(k);
    for (const auto& [k, v] : c.items()) got.insert(k);
    EXPECT_EQ(got, want) << cf;
  }
  EXPECT_THAT(read_bytes(d / "adapter_config.json"), testing::StartsWith("{\n  \"alora_invocation_tokens\": null,\n"));
  auto none = adapted();
  none.adapter->save(d);
  EXPECT_TRUE(read_json(d / "adapter_config.json").at("base_model_name_or_path").is_null());
  fs::remove_all(d);
}

TEST(LoraSaveLoad, AcceptsKeysWithTheAdapterName) {
  auto a = adapted({{"r", 4}, {"alpha", 8}});
  randomize_b(*a.adapter, 7);
  const fs::path d = temp_dir("default");
  a.adapter->save(d);
  StateDict sd = host_services().load_tensors(d / "adapter_model.safetensors");
  StateDict renamed;
  for (auto& [k, t] : sd.tensors) renamed.tensors[k.substr(0, k.size() - 7) + ".default.weight"] = t;
  host_services().save_tensors(d / "adapter_model.safetensors", renamed);
  auto b = adapted({{"r", 4}, {"alpha", 8}}, 9);
  b.adapter->load(d);
  for (std::size_t i = 0; i < a.adapter->parameters().size(); ++i)
    EXPECT_TRUE(at::equal(a.adapter->parameters()[i].second, b.adapter->parameters()[i].second));
  fs::remove_all(d);
}

class LoraLoadErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = adapted({{"r", 4}, {"alpha", 8}});
    dir_ = temp_dir("errors");
    a_.adapter->save(dir_);
    file_ = (dir_ / "adapter_model.safetensors").string();
    cfg_ = (dir_ / "adapter_config.json").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  void edit_tensors(const std::function<void(std::map<std::string, at::Tensor>&)>& f) {
    StateDict sd = host_services().load_tensors(file_);
    f(sd.tensors);
    host_services().save_tensors(file_, sd);
  }
  void edit_config(const std::function<void(nlohmann::json&)>& f) {
    nlohmann::json c = read_json(cfg_);
    f(c);
    host_services().write_text(cfg_, c.dump(2));
  }
  std::string load_error() {
    try {
      a_.adapter->load(dir_);
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  }

  Adapted a_;
  fs::path dir_;
  std::string file_, cfg_;
  const std::string q_a_ = "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight";
};

TEST_F(LoraLoadErrors, MissingTensor) {
  edit_tensors([&](auto& t) { t.erase(q_a_); });
  EXPECT_EQ(load_error(), file_ + ": missing tensor '" + q_a_ + "' (shape [4, 32])");
}

TEST_F(LoraLoadErrors, ExtraTensor) {
  edit_tensors([&](auto& t) { t["base_model.model.lm_head.lora_A.weight"] = at::zeros({4, 32}); });
  EXPECT_EQ(load_error(), file_ + ": unexpected tensor 'base_model.model.lm_head.lora_A.weight' (no targeted linear "
                                  "layer has this name)");
}

TEST_F(LoraLoadErrors, MisShapedTensor) {
  edit_tensors([&](auto& t) { t[q_a_] = at::zeros({8, 32}); });
  EXPECT_EQ(load_error(), file_ + ": tensor '" + q_a_ + "' has shape [8, 32], expected [4, 32]");
}

TEST_F(LoraLoadErrors, FailedLoadChangesNothing) {
  const at::Tensor before = a_.adapter->parameters()[0].second.clone();
  edit_tensors([&](auto& t) {
    t[q_a_] = at::ones({4, 32});
    t.erase("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight");
  });
  EXPECT_THAT(load_error(), HasSubstr("missing tensor 'base_model.model.model.layers.1.mlp.down_proj.lora_B.weight'"));
  EXPECT_TRUE(at::equal(a_.adapter->parameters()[0].second, before));
}

TEST_F(LoraLoadErrors, DoraAndOtherPeftTypesAreUnsupported) {
  edit_config([](auto& c) { c["use_dora"] = true; });
  EXPECT_EQ(load_error(), cfg_ + ": 'use_dora' is true: DoRA adapters are not supported");
  edit_config([](auto& c) {
    c["use_dora"] = false;
    c["peft_type"] = "PREFIX_TUNING";
  });
  EXPECT_EQ(load_error(), cfg_ + ": 'peft_type' is \"PREFIX_TUNING\": only LoRA adapters (\"LORA\") are supported");
  edit_config([](auto& c) {
    c["peft_type"] = "LORA";
    c["rank_pattern"] = {{"q_proj", 8}};
  });
  EXPECT_EQ(load_error(), cfg_ + ": 'rank_pattern' is {\"q_proj\":8}: not supported by the lora plugin (per-layer "
                                 "ranks (rank_pattern))");
}

TEST_F(LoraLoadErrors, SettingsMustMatchTheAttachedAdapter) {
  edit_config([](auto& c) { c["r"] = 8; });
  EXPECT_EQ(load_error(), cfg_ + ": 'r' is 8 but the attached adapter has r = 4 (set the adapter's r to the file's)");
  edit_config([](auto& c) {
    c["r"] = 4;
    c["lora_alpha"] = 16;
  });
  EXPECT_EQ(load_error(),
            cfg_ + ": 'lora_alpha' is 16 but the attached adapter has alpha = 8.0 (set the adapter's alpha to the file's)");
  edit_config([](auto& c) {
    c["lora_alpha"] = 8;
    c["target_modules"] = {"q_proj", "v_proj"};
  });
  EXPECT_EQ(load_error(), cfg_ + ": 'target_modules' [\"q_proj\",\"v_proj\"] selects 4 linear layers but the attached "
                                 "adapter targets 14 (layers.0.self_attn.k_proj is targeted by the attached adapter "
                                 "but not by the file); set the adapter's target_modules to the file's");
  edit_config([](auto& c) { c.erase("target_modules"); });
  EXPECT_EQ(load_error(),
            cfg_ + ": 'target_modules' is missing or neither a list of names nor a regex string");
}

TEST_F(LoraLoadErrors, MissingFiles) {
  fs::remove(file_);
  EXPECT_EQ(load_error(), file_ + ": missing (a PEFT adapter folder has adapter_model.safetensors)");
  fs::remove(cfg_);
  EXPECT_THAT(load_error(), testing::StartsWith(cfg_ + ": cannot open the adapter config"));
}

TEST(LoraLifecycle, MisuseIsAnError) {
  auto m = tiny_model();
  auto a = make_lora();
  EXPECT_THAT([&] { a->save("/tmp/x"); }, ThrowsMessage<Error>("lora: save() before attach()"));
  a->attach(*m);
  EXPECT_THAT([&] { a->attach(*m); }, ThrowsMessage<Error>("lora: attach() called twice; create one adapter per model"));
  a->merge();
  EXPECT_TRUE(a->parameters().empty());
  EXPECT_THAT([&] { a->save("/tmp/x"); }, ThrowsMessage<Error>(HasSubstr("lora: save() after merge()")));
}

// ---------------------------------------------------------------- merge

TEST(LoraMerge, MergedLogitsEqualTheAdapter) {
  // float32: the same up to rounding; bfloat16: the unmerged path rounds x and A x to
  // bfloat16, the merge computes B A exactly, so only roughly the same.
  for (const auto& [dtype, tol] : {std::pair<const char*, double>{"float32", 1e-5}, {"bfloat16", 2e-2}}) {
    auto a = adapted({{"r", 4}, {"alpha", 8}, {"dtype", dtype}}, 3);
    randomize_b(*a.adapter, 8);
    a.adapter->set_training(false);
    at::manual_seed(11);
    at::Tensor ids = at::randint(0, 97, {2, 9});
    const at::Tensor before = logits_of(*a.model, ids);
    const at::Tensor plain = logits_of(*tiny_model(), ids);
    ASSERT_GT(rel_error(before, plain), 1e-3) << "the adapter changes the logits";
    a.adapter->merge();
    const at::Tensor after = logits_of(*a.model, ids);
    const double e = rel_error(after, before);
    EXPECT_LE(e, tol) << dtype;
    std::printf("merge (%s adapter): rel error %.3g (adapter changed the logits by %.3g)\n", dtype, e,
                rel_error(before, plain));
  }
}

}  // namespace
