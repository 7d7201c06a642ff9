// zero2 over Gloo on loopback with 1, 2 and 3 real processes: each tensor has one owner,
// owned gradients are the sums, the others are freed, the norm is global, and after the step
// every rank holds every owner's update. Optimizer state and kept gradients fall as 1/world.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include <ATen/core/grad_mode.h>
#include <ATen/ops/full.h>
#include <ATen/ops/zeros.h>

#include "../common/plugin_under_test.hpp"
#include "../common/test_ranks.hpp"

using namespace socrates;
using namespace socrates::testing_ranks;

namespace {
// Tensor i has (i + 1) * 10 elements; rank r's gradient of tensor i is (r + 1) * (i + 1).
constexpr int kTensors = 7;
}  // namespace

TEST(Zero2Child, Run) {
  const std::string s = scenario();
  if (s.empty()) GTEST_SKIP() << "runs only as a rank started by the Zero2 tests";
  Table cfg;
  if (s == "chunks") cfg["bucket_mb"] = Value(1e-4);  // ~100 bytes: many collectives per step
  auto par = make_parallelism(cfg);
  const int r = par->rank();
  std::vector<NamedTensor> params;
  for (int i = 0; i < kTensors; ++i)
    params.emplace_back("t" + std::to_string(i), at::zeros({(i + 1) * 10}).requires_grad_(true));
  const auto mine = par->setup(params);
  std::ostringstream owned;
  std::int64_t n = 0;
  for (const auto& [name, p] : mine) owned << name << " ", n += p.numel();
  emit("owned " + owned.str());
  emit("owned_elements " + std::to_string(n));
  for (int i = 0; i < kTensors; ++i)
    params[static_cast<std::size_t>(i)].second.mutable_grad() = at::full({(i + 1) * 10}, (r + 1.0) * (i + 1));
  par->before_backward(true);
  par->after_backward(true);
  for (const auto& [name, p] : params)
    emit("grad " + name + " " + (p.grad().defined() ? std::to_string(p.grad()[0].item<double>()) : "none"));
  // "clip": a limit far below the norm, so that every owned gradient is scaled (once).
  emit("norm " + std::to_string(par->clip_grad_norm(s == "clip" ? 1.0 : 0.0)));
  for (const auto& [name, p] : params)
    if (p.grad().defined()) {
      std::ostringstream v;
      v.precision(17);
      v << p.grad()[0].item<double>();
      emit("clipped " + name + " " + v.str());
    }
  // The "optimizer": each owner writes 100 * (owner + 1) + i into its tensors.
  {
    at::NoGradGuard g;
    for (const auto& [name, p] : mine) p.detach().fill_(100.0 * (r + 1) + std::stoi(name.substr(1)));
  }
  par->after_step();
  for (const auto& [name, p] : params) emit("param " + name + " " + std::to_string(p[0].item<double>()));
}

namespace {

std::map<std::string, std::string> parse(const std::string& out) {
  std::map<std::string, std::string> m;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) {
    const auto sp = l.find(' ');
    std::string key = l.substr(0, sp), rest = l.substr(sp + 1);
    if (key == "grad" || key == "param" || key == "clipped") {
      const auto sp2 = rest.find(' ');
      key += " " + rest.substr(0, sp2);
      rest = rest.substr(sp2 + 1);
    }
    m[key] = rest;
  }
  return m;
}

// Each rank's owned gradients after clip_grad_norm(1.0): the sums times max / (norm + 1e-6), as
// torch.nn.utils.clip_grad_norm_ scales them, with the norm over every rank's shards.
void expect_clipped(int world) {
  const auto ranks = run_ranks(world, "Zero2Child.Run", "clip");
  const double k = world * (world + 1) / 2.0;
  double sq = 0;
  for (int i = 0; i < kTensors; ++i) sq += (i + 1) * 10 * std::pow(k * (i + 1), 2);
  const double coef = 1.0 / (std::sqrt(sq) + 1e-6);
  int clipped = 0;
  for (int r = 0; r < world; ++r) {
    const auto& o = ranks[static_cast<std::size_t>(r)];
    ASSERT_EQ(o.exit_code, 0) << "rank " << r << "\n" << o.output;
    auto m = parse(o.output);
    EXPECT_NEAR(std::stod(m["norm"]), std::sqrt(sq), 1e-6 * std::sqrt(sq)) << "the norm before clipping";
    for (int i = 0; i < kTensors; ++i) {
      const auto it = m.find("clipped t" + std::to_string(i));
      if (it == m.end()) continue;
      ++clipped;
      EXPECT_NEAR(std::stod(it->second), k * (i + 1) * coef, 1e-6 * k * (i + 1) * coef) << "rank " << r << " t" << i;
    }
  }
  EXPECT_EQ(clipped, kTensors) << "every tensor's gradient, on its owner";
}

void expect_sharded(int world, const std::string& scen) {
  const auto ranks = run_ranks(world, "Zero2Child.Run", scen);
  std::int64_t total = 0;
  for (int i = 0; i < kTensors; ++i) total += (i + 1) * 10;
  const double k = world * (world + 1) / 2.0;  // sum of the (r + 1) factors
  double sq = 0;
  for (int i = 0; i < kTensors; ++i) sq += (i + 1) * 10 * std::pow(k * (i + 1), 2);
  std::map<std::string, int> owner_of;
  std::int64_t sum_owned = 0;
  for (int r = 0; r < world; ++r) {
    const auto& o = ranks[static_cast<std::size_t>(r)];
    ASSERT_EQ(o.exit_code, 0) << "rank " << r << "\n" << o.output;
    auto m = parse(o.output);
    std::istringstream names(m["owned"]);
    for (std::string n; names >> n;) {
      EXPECT_FALSE(owner_of.count(n)) << n << " has two owners";
      owner_of[n] = r;
    }
    const std::int64_t owned = std::stoll(m["owned_elements"]);
    sum_owned += owned;
    // Balanced: no rank holds much more than its 1/world share (plus one tensor).
    EXPECT_LE(owned, total / world + kTensors * 10) << "rank " << r;
    EXPECT_NEAR(std::stod(m["norm"]), std::sqrt(sq), 1e-6 * std::sqrt(sq));
  }
  EXPECT_EQ(sum_owned, total);
  ASSERT_EQ(owner_of.size(), static_cast<std::size_t>(kTensors));
  for (int r = 0; r < world; ++r) {
    auto m = parse(ranks[static_cast<std::size_t>(r)].output);
    for (int i = 0; i < kTensors; ++i) {
      const std::string n = "t" + std::to_string(i);
      const int owner = owner_of[n];
      if (owner == r)
        EXPECT_DOUBLE_EQ(std::stod(m["grad " + n]), k * (i + 1)) << "rank " << r << " " << n;
      else
        EXPECT_EQ(m["grad " + n], "none") << "rank " << r << " keeps a gradient it does not own: " << n;
      EXPECT_DOUBLE_EQ(std::stod(m["param " + n]), 100.0 * (owner + 1) + i) << "rank " << r << " " << n;
    }
  }
}

}  // namespace

TEST(Zero2, OneRankOwnsEverything) { expect_sharded(1, "plain"); }
TEST(Zero2, TwoRanksShardGradientsAndState) { expect_sharded(2, "plain"); }
TEST(Zero2, ThreeRanksInSmallChunks) { expect_sharded(3, "chunks"); }
TEST(Zero2, TwoRanksClipTheirOwnedGradientsByTheGlobalNorm) { expect_clipped(2); }
