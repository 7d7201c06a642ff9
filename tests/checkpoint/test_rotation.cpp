// checkpoint_rotation.hpp: which steps a sink deletes, by hand-worked cases.
#include <gtest/gtest.h>

#include <cmath>

#include "socrates/checkpoint_rotation.hpp"

using namespace socrates;

namespace {

using Steps = std::vector<std::int64_t>;

CheckpointRef ref(std::int64_t step, std::map<std::string, double> metrics = {}) { return {step, {}, std::move(metrics)}; }

RotationPolicy keep(std::int64_t last, std::string best = "", std::string mode = "min") {
  RotationPolicy p;
  p.keep_last = last;
  p.keep_best = std::move(best);
  p.best_mode = std::move(mode);
  return p;
}

TEST(Rotation, KeepLastDropsTheOldest) {
  const std::vector<CheckpointRef> refs = {ref(30), ref(10), ref(50), ref(20), ref(40)};  // any order
  EXPECT_EQ(checkpoints_to_delete(refs, keep(2)), (Steps{10, 20, 30}));
  EXPECT_EQ(checkpoints_to_delete(refs, keep(5)), Steps{});
  EXPECT_EQ(checkpoints_to_delete(refs, keep(9)), Steps{});
  EXPECT_EQ(checkpoints_to_delete(refs, keep(1)), (Steps{10, 20, 30, 40}));
}

TEST(Rotation, ZeroKeepsEverything) {
  EXPECT_EQ(checkpoints_to_delete({ref(1), ref(2), ref(3)}, keep(0)), Steps{});
  EXPECT_EQ(checkpoints_to_delete({}, keep(2)), Steps{});
}

TEST(Rotation, KeepBestKeepsTheBestInAddition) {
  const std::vector<CheckpointRef> refs = {ref(1, {{"eval.loss", 3.0}}), ref(2, {{"eval.loss", 1.0}}), ref(3),
                                           ref(4, {{"eval.loss", 2.0}}), ref(5)};
  // Newest two are 4 and 5; the lowest eval.loss is step 2.
  EXPECT_EQ(checkpoints_to_delete(refs, keep(2, "eval.loss", "min")), (Steps{1, 3}));
  // Highest eval.loss is step 1.
  EXPECT_EQ(checkpoints_to_delete(refs, keep(2, "eval.loss", "max")), (Steps{2, 3}));
  // The best is already among the newest: nothing extra.
  EXPECT_EQ(checkpoints_to_delete(refs, keep(4, "eval.loss", "min")), (Steps{1}));
  // A metric no checkpoint has: plain keep_last.
  EXPECT_EQ(checkpoints_to_delete(refs, keep(2, "wasserstein", "min")), (Steps{1, 2, 3}));
}

TEST(Rotation, BestTiesGoToTheNewestAndNaNNeverWins) {
  const std::vector<CheckpointRef> refs = {ref(1, {{"m", 1.0}}), ref(2, {{"m", 1.0}}), ref(3, {{"m", NAN}}), ref(4),
                                           ref(5)};
  EXPECT_EQ(best_checkpoint(refs, "m", "min"), 2);
  EXPECT_EQ(best_checkpoint(refs, "m", "max"), 2);
  EXPECT_EQ(checkpoints_to_delete(refs, keep(1, "m")), (Steps{1, 3, 4}));
  EXPECT_EQ(best_checkpoint({ref(1, {{"m", NAN}})}, "m", "min"), std::nullopt);
}

TEST(Rotation, BadPoliciesAreErrors) {
  EXPECT_THROW(checkpoints_to_delete({ref(1)}, keep(-1)), Error);
  EXPECT_THROW(best_checkpoint({ref(1, {{"m", 1.0}})}, "m", "lowest"), Error);
}

}  // namespace
