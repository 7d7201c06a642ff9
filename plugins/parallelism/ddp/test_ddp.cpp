// ddp over Gloo on loopback, with 1, 2 and 3 real processes: summed gradients (also from a
// rank without a micro-batch), several buckets, the global norm, scalar all-reduces, and a
// peer that dies.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <chrono>
#include <sstream>
#include <thread>

#include <ATen/ops/ones.h>
#include <ATen/ops/scalar_tensor.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>

#include "../common/plugin_under_test.hpp"
#include "../common/test_ranks.hpp"

using namespace socrates;
using namespace socrates::testing_ranks;

namespace {

std::string join(const at::Tensor& t) {
  std::ostringstream os;
  os.precision(9);
  at::Tensor c = t.contiguous().to(at::kDouble);
  for (std::int64_t i = 0; i < c.numel(); ++i) os << (i ? " " : "") << c.data_ptr<double>()[i];
  return os.str();
}

}  // namespace

// One rank: rank r's gradients are (r + 1) x [1 2 3] and (r + 1) x ones(2, 2); in scenario
// "idle" the last rank has none (no micro-batch in the partial last global batch).
TEST(DdpChild, Run) {
  const std::string s = scenario();
  if (s.empty()) GTEST_SKIP() << "runs only as a rank started by the Ddp tests";
  Table cfg;
  if (s == "buckets") cfg["bucket_mb"] = Value(1e-5);  // ~10 bytes: one bucket per tensor
  if (s == "die") cfg["timeout_s"] = Value(30.0);
  if (s == "hang") cfg["timeout_s"] = Value(2.0);
  auto par = make_parallelism(cfg);
  const int r = par->rank(), w = par->world_size();
  at::Tensor a = at::zeros({3}).requires_grad_(true), b = at::zeros({2, 2}).requires_grad_(true);
  auto params = par->setup({{"a", a}, {"b", b}});
  if (s == "die" && r == 1) std::_Exit(3);  // dies after joining, before the gradient all-reduce
  if (s == "hang") {
    // Rank 1 stops answering for 8 s; rank 0 must give up after its 2 s timeout.
    if (r == 1) std::this_thread::sleep_for(std::chrono::seconds(8));
    const auto t0 = std::chrono::steady_clock::now();
    try {
      par->after_backward(true);
    } catch (const std::exception& e) {
      emit("failed_after " + std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()));
      emit(std::string("error ") + e.what());
      throw;
    }
    return;
  }
  emit("params " + std::to_string(params.size()));
  if (!(s == "idle" && r == w - 1)) {
    a.mutable_grad() = at::tensor({1.0f, 2.0f, 3.0f}) * (r + 1);
    b.mutable_grad() = at::ones({2, 2}) * (r + 1);
  }
  par->before_backward(true);
  par->after_backward(true);
  emit("a " + join(a.grad()));
  emit("b " + join(b.grad()));
  emit("norm " + std::to_string(par->clip_grad_norm(1.0)));
  emit("a_clipped " + join(a.grad()));
  at::Tensor t = at::scalar_tensor(static_cast<double>(r + 1), at::kDouble);
  par->all_reduce_sum(t);
  emit("sum " + join(t));
  par->barrier();
}

namespace {

std::string line(const std::string& out, const std::string& key) {
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);)
    if (l.rfind(key + " ", 0) == 0) return l.substr(key.size() + 1);
  return "(missing " + key + ")";
}

void expect_summed(int world, const std::string& scen) {
  const auto ranks = run_ranks(world, "DdpChild.Run", scen);
  double k = 0;  // sum of the (r + 1) factors that sent gradients
  for (int r = 0; r < world; ++r) k += (scen == "idle" && r == world - 1) ? 0 : r + 1;
  std::ostringstream a, bb;
  a << k << " " << 2 * k << " " << 3 * k;
  bb << k << " " << k << " " << k << " " << k;
  const double norm = std::sqrt(14 * k * k + 4 * k * k);
  for (int r = 0; r < world; ++r) {
    const auto& o = ranks[static_cast<std::size_t>(r)];
    ASSERT_EQ(o.exit_code, 0) << "rank " << r << " (" << scen << ")\n" << o.output;
    EXPECT_EQ(line(o.output, "params"), "2");
    EXPECT_EQ(line(o.output, "a"), a.str()) << "rank " << r;
    EXPECT_EQ(line(o.output, "b"), bb.str()) << "rank " << r;
    EXPECT_NEAR(std::stod(line(o.output, "norm")), norm, 1e-5 * norm);
    std::istringstream clipped(line(o.output, "a_clipped"));
    double x = 0;
    clipped >> x;
    EXPECT_NEAR(x, k / (norm + 1e-6), 1e-6);  // clipped to norm 1 like torch
    EXPECT_EQ(line(o.output, "sum"), std::to_string(world * (world + 1) / 2));
  }
}

}  // namespace

TEST(Ddp, OneRankSumsNothing) { expect_summed(1, "plain"); }
TEST(Ddp, TwoRanksSumGradients) { expect_summed(2, "plain"); }
TEST(Ddp, ThreeRanksSumGradientsInSeveralBuckets) { expect_summed(3, "buckets"); }
TEST(Ddp, ARankWithoutMicroBatchStillTakesPart) { expect_summed(2, "idle"); }

TEST(Ddp, ADeadPeerIsAnErrorNotAHang) {
  // Rank 1 exits after joining: rank 0's all-reduce fails (closed connection), long before
  // its 30 s timeout and the harness's 120 s.
  const auto ranks = run_ranks(2, "DdpChild.Run", "die", 120);
  EXPECT_EQ(ranks[1].exit_code, 3);
  EXPECT_NE(ranks[0].exit_code, 0);
  EXPECT_NE(ranks[0].exit_code, -1) << "rank 0 hung";
}

TEST(Ddp, AHungPeerIsAnErrorAfterTheTimeout) {
  const auto ranks = run_ranks(2, "DdpChild.Run", "hang", 120);
  ASSERT_NE(ranks[0].exit_code, 0) << ranks[0].output;
  ASSERT_NE(ranks[0].exit_code, -1) << "rank 0 hung";
  const double after = std::stod(line(ranks[0].output, "failed_after"));
  EXPECT_GE(after, 1.0);
  EXPECT_LT(after, 7.0) << "generous bound over the 2 s timeout";
  EXPECT_THAT(line(ranks[0].output, "error"), testing::HasSubstr("rank 0 of 2: the collective 'gradient all-reduce' failed"));
}

TEST(Ddp, RejectsBadOptions) {
  EXPECT_THAT([] { make_parallelism({{"timeout_s", Value(0.0)}}); },
              testing::ThrowsMessage<ConfigError>(testing::HasSubstr("timeout_s")));
  EXPECT_THAT([] { make_parallelism({{"bucket_mb", Value(-1.0)}}); },
              testing::ThrowsMessage<ConfigError>(testing::HasSubstr("bucket_mb")));
  EXPECT_THAT([] { make_parallelism({{"backend", Value(std::string("nccl"))}}); },
              testing::ThrowsMessage<ConfigError>(testing::HasSubstr("cuda")));
}
