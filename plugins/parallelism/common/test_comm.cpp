// The collectives at world size 1, in process: Gloo on CPU (CI) and NCCL on a GPU (skipped
// without one). Several ranks are tested by the ddp/zero2 tests and tests/distributed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>

#include <ATen/ops/arange.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/zeros.h>
#include <torch/cuda.h>

#include "comm.hpp"
#include "socrates/error.hpp"

using namespace socrates;

namespace {

void expect_identity_collectives(const std::string& backend, c10::Device device) {
  ::unsetenv("MASTER_ADDR");  // alone: an in-process store
  dist::Comm comm({.rank = 0, .world_size = 1, .device = device, .backend = backend, .plugin = "test"});
  EXPECT_EQ(comm.backend_name(), backend);
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(device);
  at::Tensor t = at::arange(6, opts);
  const at::Tensor want = t.clone();
  comm.all_reduce_sum(t, "all-reduce");
  EXPECT_TRUE(at::equal(t, want));
  at::Tensor out = at::zeros({6}, opts);
  comm.reduce_scatter_sum(out, t, "reduce-scatter");
  EXPECT_TRUE(at::equal(out, want));
  at::Tensor gathered = at::zeros({6}, opts);
  comm.all_gather(gathered, out, "all-gather");
  EXPECT_TRUE(at::equal(gathered, want));
  comm.barrier();
}

}  // namespace

TEST(Comm, GlooAtOneRankOnTheCpu) { expect_identity_collectives("gloo", c10::kCPU); }

TEST(Comm, NcclAtOneRankOnTheGpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
#ifndef SOCRATES_HAVE_NCCL
  FAIL() << "a CUDA device but a build without NCCL";
#else
  expect_identity_collectives("nccl", c10::Device(c10::kCUDA, 0));
#endif
}

TEST(Comm, NcclOnTheCpuIsAClearError) {
  ::unsetenv("MASTER_ADDR");
  EXPECT_THAT([] { dist::Comm c({.device = c10::kCPU, .backend = "nccl", .plugin = "test"}); },
              testing::ThrowsMessage<Error>(testing::HasSubstr("gloo")));
}
