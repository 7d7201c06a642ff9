#include <gtest/gtest.h>

#include <ATen/ops/zeros.h>

#include "owners.hpp"

using namespace socrates;

TEST(Owners, BalancedBySizeAndDeterministic) {
  std::vector<NamedTensor> p;
  for (int n : {100, 10, 60, 40, 30, 20, 5}) p.emplace_back("t" + std::to_string(n), at::zeros({n}));
  const auto owner = dist::assign_owners(p, 2);
  std::int64_t load[2] = {0, 0};
  for (std::size_t i = 0; i < p.size(); ++i) load[owner[i]] += p[i].second.numel();
  EXPECT_EQ(load[0] + load[1], 265);
  EXPECT_LE(std::abs(load[0] - load[1]), 5);  // greedy, largest first
  EXPECT_EQ(owner, dist::assign_owners(p, 2));
  for (int o : dist::assign_owners(p, 1)) EXPECT_EQ(o, 0);
  // More ranks than tensors: some ranks own nothing, none owns two.
  const auto many = dist::assign_owners(p, 9);
  EXPECT_EQ(std::set<int>(many.begin(), many.end()).size(), p.size());
}

TEST(Owners, BucketsHoldConsecutiveTensorsUpToTheLimit) {
  std::vector<NamedTensor> p;
  for (int n : {10, 10, 10, 50, 1}) p.emplace_back("t", at::zeros({n}));
  const auto b = dist::make_buckets(p, 80);  // 20 floats
  ASSERT_EQ(b.size(), 4u);
  EXPECT_EQ(b[0], std::make_pair(std::size_t{0}, std::size_t{2}));
  EXPECT_EQ(b[1], std::make_pair(std::size_t{2}, std::size_t{3}));
  EXPECT_EQ(b[2], std::make_pair(std::size_t{3}, std::size_t{4}));  // larger than a bucket: alone
  EXPECT_EQ(b[3], std::make_pair(std::size_t{4}, std::size_t{5}));
  EXPECT_EQ(dist::make_buckets(p, 1 << 20).size(), 1u);
}
