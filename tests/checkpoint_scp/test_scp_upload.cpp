// Upload through the scp sink to a real sshd: byte-for-byte remote copies, remote rotation, list().
#include "scp_fixture.hpp"

namespace fs = std::filesystem;
using socrates::testing::ScpSinkTest;
using spdlog::level::info;
using spdlog::level::warn;

TEST_F(ScpSinkTest, UploadsAVerifiedByteForByteCopy) {
  sshd_->start();
  auto sink = make_sink();
  put_and_discard(*sink, 10);  // the staging folder is gone: the sink must have snapshotted it
  sink->flush();
  EXPECT_EQ(folders(remote_), std::vector<std::string>{step_name(10)});
  EXPECT_TRUE(same_tree(tmp_ / "expected" / "step-10", remote_ / step_name(10)));
  EXPECT_TRUE(spooled().empty()) << "the spool entry is removed once the remote copy verifies";
  EXPECT_TRUE(capture_->has(info, {"step 10 uploaded to", "verified"}));
}

TEST_F(ScpSinkTest, RotatesOnTheRemoteSideAfterTheNewerCopyVerifies) {
  sshd_->start();
  auto sink = make_sink({{"keep_last", 2}});
  for (int step : {10, 20, 30}) {
    put_and_discard(*sink, step);
    sink->flush();  // one at a time, so step 10 really reaches the remote before rotation
  }
  EXPECT_EQ(folders(remote_), (std::vector<std::string>{step_name(20), step_name(30)}));
  EXPECT_TRUE(capture_->has(info, {"deleted step(s) 10 from"}));
  EXPECT_TRUE(same_tree(tmp_ / "expected" / "step-20", remote_ / step_name(20)));
  EXPECT_TRUE(same_tree(tmp_ / "expected" / "step-30", remote_ / step_name(30)));
}

TEST_F(ScpSinkTest, KeepBestKeepsTheBestCheckpointRemotely) {
  sshd_->start();
  auto sink = make_sink({{"keep_last", 1}, {"keep_best", "eval.loss"}, {"best_mode", "min"}});
  const std::map<int, double> loss{{10, 0.5}, {20, 0.3}, {30, 0.4}};
  for (const auto& [step, l] : loss) {
    put_and_discard(*sink, step, {{"eval.loss", l}});
    sink->flush();
  }
  // Newest (30) and best (20, loss 0.3) survive; 10 is gone.
  EXPECT_EQ(folders(remote_), (std::vector<std::string>{step_name(20), step_name(30)}));
}

TEST_F(ScpSinkTest, ListReturnsOnlyRemoteCheckpointsThatVerify) {
  sshd_->start();
  auto sink = make_sink();
  put_and_discard(*sink, 10, {{"eval.loss", 0.25}});
  put_and_discard(*sink, 20, {{"eval.loss", 0.125}});
  sink->flush();
  auto refs = sink->list();
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0].step, 10);
  EXPECT_EQ(refs[1].step, 20);
  EXPECT_EQ(refs[1].metrics.at("eval.loss"), 0.125);
  EXPECT_NE(refs[1].dir.string().find(remote_.string() + "/" + step_name(20)), std::string::npos) << refs[1].dir;

  // Same size, one byte changed: only sha256 can tell.
  flip_byte(remote_ / step_name(10) / "optimizer" / "rank-0.bin", 1234);
  refs = sink->list();
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].step, 20);
  EXPECT_TRUE(capture_->has(warn, {"skipping remote checkpoint", step_name(10), "optimizer/rank-0.bin", "sha256"}));
}

TEST_F(ScpSinkTest, PutOfTheSameStepReplacesTheQueuedCopy) {
  sshd_->start();
  auto sink = make_sink();
  put_and_discard(*sink, 10, {{"eval.loss", 1.0}});
  put_and_discard(*sink, 10, {{"eval.loss", 2.0}});  // e.g. the final save at a save_every step
  sink->flush();
  auto refs = sink->list();
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].metrics.at("eval.loss"), 2.0);
  EXPECT_TRUE(same_tree(tmp_ / "expected" / "step-10", remote_ / step_name(10)));
}
