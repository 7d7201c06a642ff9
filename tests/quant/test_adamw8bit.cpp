// The adamw8bit optimizer plugin, loaded from its shared library (dlopen + its descriptor),
// against bitsandbytes.optim.AdamW8bit references (fixtures/quant/adamw8bit_refs.safetensors
// and every fixtures/quant/models/*/lora_after_adamw8bit_step.safetensors).
//
// Tolerances, and why not bit-exact on the CPU: bitsandbytes builds its CUDA kernels with
// --use_fast_math, so its bias corrections use __powf (hardware ex2/lg2 approximations) and
// its divisions and square roots are approximate. sqrt(1 - beta2^t) suffers cancellation: at
// t = 1 a 1-ulp change in beta2^t moves it by ~1e-4 relative, so the step size differs by up to
// ~1e-4 relative (~1e-7 absolute per step at lr 1e-3). That in turn moves a few 8-bit moment
// codes across a rounding boundary (one code step), changing those elements' later updates by
// a few percent of lr. Hence, per step t: max |p - ref| <= 0.05 * lr * t and
// mean |p - ref| <= 1e-4 * lr * t; 8-bit codes: >= 99.9% identical and none off by more than 1
// (3 after the sign fix-up, which moves a code past 0); absmax within 1e-4 relative.
#include <dlfcn.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <regex>

#include <ATen/ATen.h>

#include "fixtures.hpp"
#include "socrates/optimizer.hpp"
#include "socrates/plugin.hpp"

using namespace quant_test;
using socrates::Optimizer;
using testing::HasSubstr;
using testing::ThrowsMessage;

namespace {

const socrates_plugin_descriptor& descriptor() {
  static const socrates_plugin_descriptor* d = [] {
    void* h = dlopen(SOCRATES_PLUGIN_FILE, RTLD_NOW | RTLD_LOCAL);
    if (!h) throw std::runtime_error(std::string("dlopen: ") + dlerror());
    auto* sym = static_cast<const socrates_plugin_descriptor*>(dlsym(h, SOCRATES_PLUGIN_SYMBOL));
    if (!sym) throw std::runtime_error("no socrates_plugin symbol");
    return sym;
  }();
  return *d;
}

struct Settings {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weight_decay = 0.1;
  std::int64_t min_8bit_size = 4096;
};

Settings settings_from(const nlohmann::json& j) {
  Settings s;
  s.lr = j.at("lr").get<double>();
  s.beta1 = j.at("betas").at(0).get<double>();
  s.beta2 = j.at("betas").at(1).get<double>();
  s.eps = j.at("eps").get<double>();
  s.weight_decay = j.at("weight_decay").get<double>();
  return s;
}

std::shared_ptr<Optimizer> make(const Settings& s, socrates::Table extra = {}) {
  socrates::Table t{{"betas", socrates::Array{s.beta1, s.beta2}},
                    {"eps", s.eps},
                    {"weight_decay", s.weight_decay},
                    {"min_8bit_size", s.min_8bit_size}};
  for (auto& [k, v] : extra) t[k] = v;
  socrates::PluginContext ctx;
  ctx.config = socrates::ConfigSection("optimizer", std::move(t));
  const auto& d = descriptor();
  socrates::Component* c = d.create(ctx);
  auto* opt = dynamic_cast<Optimizer*>(c);
  if (!opt) throw std::runtime_error("not an optimizer");
  return std::shared_ptr<Optimizer>(opt, [destroy = d.destroy](Optimizer* o) { destroy(o); });
}

struct Diff {
  double max_abs = 0, mean_abs = 0;
};
Diff diff(const at::Tensor& a, const at::Tensor& b) {
  const at::Tensor d = (a.cpu().to(at::kDouble) - b.cpu().to(at::kDouble)).abs();
  return {d.max().item<double>(), d.mean().item<double>()};
}

void expect_codes_close(const at::Tensor& mine, const at::Tensor& ref, const std::string& what) {
  ASSERT_EQ(mine.sizes(), ref.sizes()) << what;
  const at::Tensor d = (mine.cpu().to(at::kInt) - ref.cpu().to(at::kInt)).abs();
  const double same = d.eq(0).to(at::kDouble).mean().item<double>();
  std::cout << "[ INFO     ] " << what << ": " << same * 100 << "% identical, max code difference " << d.max().item<int>() << "\n";
  EXPECT_GE(same, 0.999) << what << ": " << same * 100 << "% of codes identical";
  EXPECT_LE(d.max().item<int>(), 3) << what;
}

bool has_cuda() { return at::hasCUDA(); }

// Runs the 5-step reference on `device`; returns the optimizer.
std::shared_ptr<Optimizer> run_reference(c10::Device device, bool check_each_step) {
  const auto refs = load_safetensors(quant_dir() / "adamw8bit_refs.safetensors");
  const auto cfg = read_json(quant_dir() / "README.json").at("adamw8bit");
  const Settings s = settings_from(cfg);
  const int steps = cfg.at("steps").get<int>();
  auto opt = make(s);
  at::Tensor p = refs.at("param0").clone().to(device).requires_grad_(true);
  opt->init({{"w", p}});
  for (int t = 1; t <= steps; ++t) {
    p.mutable_grad() = refs.at("grad" + std::to_string(t - 1)).to(device);
    opt->step(s.lr);
    if (check_each_step) {
      const Diff d = diff(p.detach(), refs.at("param" + std::to_string(t)));
      std::cout << "[ INFO     ] " << device << " step " << t << ": max |p - ref| = " << d.max_abs
                << ", mean = " << d.mean_abs << ", exact " << p.detach().cpu().eq(refs.at("param" + std::to_string(t))).to(at::kDouble).mean().item<double>() * 100 << "%\n";
      EXPECT_LE(d.max_abs, 0.05 * s.lr * t) << "step " << t;
      EXPECT_LE(d.mean_abs, 1e-4 * s.lr * t) << "step " << t;
    }
  }
  return opt;
}

}  // namespace

TEST(AdamW8bit, DescriptorIsAnOptimizerForThisAbi) {
  const auto& d = descriptor();
  EXPECT_EQ(d.abi_version, static_cast<std::uint32_t>(SOCRATES_ABI_VERSION));
  EXPECT_STREQ(d.name, "adamw8bit");
  EXPECT_STREQ(d.concern, "optimizer");
  std::vector<std::string> keys;
  for (std::uint32_t i = 0; i < d.option_count; ++i) keys.push_back(d.options[i].key);
  EXPECT_THAT(keys, testing::UnorderedElementsAre("betas", "eps", "weight_decay", "min_8bit_size"));
}

TEST(AdamW8bit, MatchesBitsandbytesOverFiveSteps) {
  const auto refs = load_safetensors(quant_dir() / "adamw8bit_refs.safetensors");
  const auto cfg = read_json(quant_dir() / "README.json").at("adamw8bit");
  auto opt = run_reference(c10::kCPU, true);
  const auto st = opt->state();
  for (const auto& k : cfg.at("state_keys")) {
    const std::string key = k.get<std::string>();
    SCOPED_TRACE(key);
    const at::Tensor ref = refs.at("state." + key);
    ASSERT_TRUE(st.tensors.count("w." + key));
    const at::Tensor mine = st.tensors.at("w." + key);
    if (key.rfind("qmap", 0) == 0) {
      EXPECT_TRUE(bitwise_equal(mine, ref)) << describe_difference(mine, ref);
    } else if (ref.scalar_type() == at::kByte) {
      expect_codes_close(mine, ref, key);
    } else {
      std::cout << "[ INFO     ] " << key << ": max relative difference "
                << ((mine - ref).abs() / ref.abs()).max().item<double>() << "\n";
      EXPECT_TRUE(at::allclose(mine, ref, 1e-4, 0)) << describe_difference(mine, ref);
    }
  }
  EXPECT_EQ(st.meta.at("w.step"), std::to_string(cfg.at("steps").get<int>()));
}

TEST(AdamW8bit, LoraStepMatchesBitsandbytesWith32BitStateForSmallTensors) {
  int fixtures = 0;
  for (const fs::path& dir : model_fixture_dirs()) {
    if (!fs::exists(dir / "lora_after_adamw8bit_step.safetensors")) continue;
    SCOPED_TRACE(dir.string());
    ++fixtures;
    const auto readme = read_json(dir / "README.json");
    const Settings s = settings_from(readme.at("adamw8bit"));
    const auto grads = load_safetensors(dir / "lora_grads.safetensors");
    const auto after = load_safetensors(dir / "lora_after_adamw8bit_step.safetensors");
    const auto start = load_safetensors(dir / "adapter" / "adapter_model.safetensors");
    auto opt = make(s);
    std::vector<socrates::NamedTensor> params;
    std::map<std::string, at::Tensor> by_name;
    for (const auto& [name, g] : grads) {
      // PEFT saves adapters without the adapter name ("lora_A.default.weight" -> "lora_A.weight").
      const std::string saved = std::regex_replace(name, std::regex("\\.default\\."), ".");
      ASSERT_TRUE(start.count(saved)) << saved;
      at::Tensor p = start.at(saved).clone().requires_grad_(true);
      p.mutable_grad() = g;
      params.push_back({name, p});
      by_name[name] = p;
    }
    opt->init(params);
    opt->step(s.lr);
    const auto st = opt->state();
    double worst = 0;
    for (const auto& [name, p] : by_name) {
      SCOPED_TRACE(name);
      ASSERT_TRUE(after.count(name));
      EXPECT_EQ(st.tensors.at(name + ".state1").scalar_type(), p.numel() < 4096 ? at::kFloat : at::kByte);
      const Diff d = diff(p.detach(), after.at(name));
      worst = std::max(worst, d.max_abs);
      EXPECT_LE(d.max_abs, 0.05 * s.lr);
      EXPECT_LE(d.mean_abs, 1e-4 * s.lr);
    }
    std::cout << "[ INFO     ] " << dir.filename().string() << ": max |p - ref| over LoRA tensors " << worst << "\n";
  }
  EXPECT_GT(fixtures, 0);
}

TEST(AdamW8bit, SaveAndRestoreContinuesBitExactly) {
  at::manual_seed(2);
  Settings s;
  const at::Tensor big0 = at::randn({70, 90}) * 0.02, small0 = at::randn({33});
  std::vector<std::pair<at::Tensor, at::Tensor>> grads;
  for (int i = 0; i < 6; ++i) grads.emplace_back(at::randn({70, 90}) * 0.01, at::randn({33}));

  auto run = [&](int from, int to, std::shared_ptr<Optimizer> opt, at::Tensor big, at::Tensor small) {
    for (int i = from; i < to; ++i) {
      big.mutable_grad() = grads[i].first;
      small.mutable_grad() = grads[i].second;
      opt->step(1e-3);
    }
  };
  auto a = make(s);
  at::Tensor ba = big0.clone().requires_grad_(true), sa = small0.clone().requires_grad_(true);
  a->init({{"big", ba}, {"small", sa}});
  run(0, 6, a, ba, sa);

  auto b = make(s);
  at::Tensor bb = big0.clone().requires_grad_(true), sb = small0.clone().requires_grad_(true);
  b->init({{"big", bb}, {"small", sb}});
  run(0, 3, b, bb, sb);
  socrates::StateDict saved = b->state();
  for (auto& [k, t] : saved.tensors) t = t.clone();
  EXPECT_EQ(saved.tensors.at("big.state1").scalar_type(), at::kByte);
  EXPECT_EQ(saved.tensors.at("small.state1").scalar_type(), at::kFloat);
  auto c = make(s);
  at::Tensor bc = bb.detach().clone().requires_grad_(true), sc = sb.detach().clone().requires_grad_(true);
  c->init({{"big", bc}, {"small", sc}});
  c->load_state(saved);
  run(3, 6, c, bc, sc);
  EXPECT_TRUE(bitwise_equal(ba.detach(), bc.detach()));
  EXPECT_TRUE(bitwise_equal(sa.detach(), sc.detach()));
  const auto sa_state = a->state(), sc_state = c->state();
  for (const auto& [k, t] : sa_state.tensors) EXPECT_TRUE(bitwise_equal(t, sc_state.tensors.at(k))) << k;
  EXPECT_EQ(sa_state.meta, sc_state.meta);
}

TEST(AdamW8bit, NonFiniteGradientZeroesThatElementsMoments) {
  for (std::int64_t n : {std::int64_t{5000}, std::int64_t{100}}) {  // 8-bit and 32-bit state
    SCOPED_TRACE(n);
    at::manual_seed(4);
    auto opt = make(Settings{});
    at::Tensor p = at::randn({n}).requires_grad_(true);
    opt->init({{"p", p}});
    p.mutable_grad() = at::randn({n});
    opt->step(1e-3);
    const at::Tensor before = p.detach().clone();
    at::Tensor g = at::randn({n});
    g[1] = std::nanf("");
    g[2] = INFINITY;
    g[3] = -INFINITY;
    p.mutable_grad() = g;
    opt->step(1e-3);
    const auto st = opt->state();
    auto moment = [&](const std::string& k) {
      at::Tensor t = st.tensors.at("p." + k);
      if (t.scalar_type() == at::kFloat) return t;
      const at::Tensor map = st.tensors.at(k == "state1" ? "p.qmap1" : "p.qmap2");
      const at::Tensor absmax = st.tensors.at(k == "state1" ? "p.absmax1" : "p.absmax2");
      return map.index_select(0, t.to(at::kLong)) * absmax.repeat_interleave(256).slice(0, 0, n);
    };
    for (int i : {1, 2, 3}) {
      EXPECT_EQ(moment("state1")[i].item<float>(), 0.0f) << i;
      EXPECT_EQ(moment("state2")[i].item<float>(), 0.0f) << i;
      EXPECT_EQ(p[i].item<float>(), before[i].item<float>()) << "no update for element " << i;
    }
    EXPECT_NE(p[0].item<float>(), before[0].item<float>());
    EXPECT_TRUE(at::isfinite(p.detach()).all().item<bool>());
  }
}

TEST(AdamW8bit, WeightDecayAfterTheAdamStep) {
  // First step of a 32-bit-state tensor, by hand: p' = (p - lr * m_hat / (sqrt(v_hat) + eps)) * (1 - lr * wd).
  auto opt = make(Settings{});
  at::Tensor p = at::full({4}, 2.0f).requires_grad_(true);
  p.mutable_grad() = at::full({4}, 0.5f);
  opt->init({{"p", p}});
  opt->step(0.1);
  const double upd = 0.1 * 0.5 / (0.5 + 1e-8);
  EXPECT_NEAR(p[0].item<float>(), (2.0 - upd) * (1 - 0.1 * 0.1), 1e-6);
  EXPECT_GT(std::fabs(p[0].item<float>() - (2.0 * (1 - 0.1 * 0.1) - upd)), 1e-4);  // not torch's order
}

TEST(AdamW8bit, MinSizeOptionAndParameterDtypes) {
  Settings s;
  s.min_8bit_size = 10;
  auto opt = make(s);
  at::Tensor a = at::randn({12}).requires_grad_(true), b = at::randn({9}).requires_grad_(true);
  at::Tensor c = at::randn({300}, at::kBFloat16).requires_grad_(true);
  opt->init({{"a", a}, {"b", b}, {"c", c}});
  for (auto* t : {&a, &b, &c}) t->mutable_grad() = at::randn_like(*t);
  const std::int64_t va = a._version(), vb = b._version(), vc = c._version();
  opt->step(1e-2);
  // Written through their pointers, the parameters still get an in-place op's version bump
  // (LoRA's cast copies refresh on it), 8-bit and 32-bit state alike.
  EXPECT_GT(a._version(), va);
  EXPECT_GT(b._version(), vb);
  EXPECT_GT(c._version(), vc);
  const auto st = opt->state();
  EXPECT_EQ(st.tensors.at("a.state1").scalar_type(), at::kByte);
  EXPECT_EQ(st.tensors.at("b.state1").scalar_type(), at::kFloat);
  EXPECT_EQ(st.tensors.at("c.state1").scalar_type(), at::kByte);
  EXPECT_EQ(c.scalar_type(), at::kBFloat16);
  EXPECT_EQ(st.tensors.at("a.absmax1").numel(), 1);
  EXPECT_EQ(st.tensors.at("c.absmax1").numel(), 2);
}

TEST(AdamW8bit, RejectsBadOptionsAndState) {
  EXPECT_THAT([] { make(Settings{}, {{"betas", socrates::Array{0.9}}}); },
              ThrowsMessage<socrates::ConfigError>(HasSubstr("'optimizer.betas': needs exactly two values")));
  EXPECT_THAT([] { make(Settings{}, {{"eps", 0.0}}); },
              ThrowsMessage<socrates::ConfigError>(HasSubstr("'optimizer.eps': must be > 0")));
  EXPECT_THAT([] { make(Settings{}, {{"min_8bit_size", std::int64_t{-1}}}); },
              ThrowsMessage<socrates::ConfigError>(HasSubstr("'optimizer.min_8bit_size': must be >= 0")));
  auto opt = make(Settings{});
  at::Tensor p = at::ones({5000}).requires_grad_(true);
  opt->init({{"w", p}});
  EXPECT_THAT([&] { opt->load_state(socrates::StateDict{}); },
              ThrowsMessage<socrates::Error>(HasSubstr("missing tensor 'w.state1'")));
  socrates::StateDict sd = opt->state();
  sd.tensors["w.absmax1"] = at::zeros({3});
  EXPECT_THAT([&] { opt->load_state(sd); }, ThrowsMessage<socrates::Error>(HasSubstr("tensor 'w.absmax1' is Float[3]")));
  EXPECT_THAT([&] { opt->init({{"i", at::ones({3}, at::kInt)}}); }, ThrowsMessage<socrates::Error>(HasSubstr("'i' has dtype Int")));
}

// ---- CUDA --------------------------------------------------------------------------------

TEST(AdamW8bitCuda, MatchesBitsandbytesOverFiveSteps) {
  if (!has_cuda()) GTEST_SKIP() << "no CUDA device";
  const auto refs = load_safetensors(quant_dir() / "adamw8bit_refs.safetensors");
  auto opt = run_reference(c10::Device(c10::kCUDA, 0), true);
  const auto st = opt->state();
  // Same kernel arithmetic and flags as bitsandbytes: report how close to bit-exact we are.
  const at::Tensor s1 = st.tensors.at("w.state1").cpu(), s2 = st.tensors.at("w.state2").cpu();
  expect_codes_close(s1, refs.at("state.state1"), "state1");
  expect_codes_close(s2, refs.at("state.state2"), "state2");
  RecordProperty("state1_bit_exact", bitwise_equal(s1, refs.at("state.state1")) ? "yes" : "no");
  RecordProperty("state2_bit_exact", bitwise_equal(s2, refs.at("state.state2")) ? "yes" : "no");
  std::cout << "[ INFO     ] CUDA vs bitsandbytes: state1 " << (bitwise_equal(s1, refs.at("state.state1")) ? "bit-exact" : "close")
            << ", state2 " << (bitwise_equal(s2, refs.at("state.state2")) ? "bit-exact" : "close") << "\n";
}

TEST(AdamW8bitCuda, AgreesWithCpuAcrossManyTensorsAndDtypes) {
  if (!has_cuda()) GTEST_SKIP() << "no CUDA device";
  at::manual_seed(9);
  const c10::Device gpu(c10::kCUDA, 0);
  // 50 tensors (more than one launch's worth), 8-bit and 32-bit state, three dtypes.
  std::vector<at::Tensor> cpu_p, gpu_p;
  std::vector<socrates::NamedTensor> cpu_named, gpu_named;
  for (int i = 0; i < 50; ++i) {
    const std::int64_t n = i % 3 == 0 ? 100 + i : 4096 + 257 * i;
    const auto dt = i % 5 == 0 ? at::kBFloat16 : (i % 7 == 0 ? at::kHalf : at::kFloat);
    at::Tensor p = (at::randn({n}) * 0.02).to(dt);
    cpu_p.push_back(p.clone().requires_grad_(true));
    gpu_p.push_back(p.to(gpu).requires_grad_(true));
    cpu_named.push_back({"p" + std::to_string(i), cpu_p.back()});
    gpu_named.push_back({"p" + std::to_string(i), gpu_p.back()});
  }
  auto a = make(Settings{}), b = make(Settings{});
  a->init(cpu_named);
  b->init(gpu_named);
  for (int t = 1; t <= 3; ++t) {
    for (std::size_t i = 0; i < cpu_p.size(); ++i) {
      const at::Tensor g = (at::randn({cpu_p[i].numel()}) * 0.01).to(cpu_p[i].scalar_type());
      cpu_p[i].mutable_grad() = g;
      gpu_p[i].mutable_grad() = g.to(gpu);
    }
    const std::int64_t v0 = gpu_p[0]._version(), v1 = gpu_p[1]._version();
    a->step(1e-3);
    b->step(1e-3);
    EXPECT_GT(gpu_p[0]._version(), v0) << "an in-place op's version bump";
    EXPECT_GT(gpu_p[1]._version(), v1);
    for (std::size_t i = 0; i < cpu_p.size(); ++i) {
      const double tol = cpu_p[i].scalar_type() == at::kFloat ? 0.05 * 1e-3 * t : 0.02;
      EXPECT_LE(diff(cpu_p[i].detach(), gpu_p[i].detach()).max_abs, tol) << "tensor " << i << " step " << t;
    }
  }
  // GPU state restores bit-exactly too.
  socrates::StateDict saved = b->state();
  for (auto& [k, t] : saved.tensors) t = t.clone();
  auto c = make(Settings{});
  std::vector<socrates::NamedTensor> again;
  for (std::size_t i = 0; i < gpu_p.size(); ++i) again.push_back({gpu_named[i].first, gpu_p[i].detach().clone().requires_grad_(true)});
  c->init(again);
  c->load_state(saved);
  for (std::size_t i = 0; i < gpu_p.size(); ++i) {
    const at::Tensor g = at::randn({gpu_p[i].numel()}, gpu_p[i].options().requires_grad(false)) * 0.01;
    gpu_p[i].mutable_grad() = g;
    again[i].second.mutable_grad() = g;
  }
  b->step(1e-3);
  c->step(1e-3);
  for (std::size_t i = 0; i < gpu_p.size(); ++i) EXPECT_TRUE(bitwise_equal(gpu_p[i].detach(), again[i].second.detach())) << i;
}
