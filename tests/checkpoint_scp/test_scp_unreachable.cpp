// The host is down: put() returns, errors are loud, the queue is kept (on disk, across
// sinks), and everything is uploaded once the host is back.
#include <fstream>

#include "scp_fixture.hpp"

namespace fs = std::filesystem;
using socrates::testing::ScpSinkTest;
using spdlog::level::err;

TEST_F(ScpSinkTest, HostDownThenBackUploadsTheQueue) {
  // sshd is not started: nothing listens on its port yet.
  auto sink = make_sink({{"retries", 1}, {"backoff_seconds", 0.2}});
  put_and_discard(*sink, 10);  // returns: the upload happens in the background
  const std::string endpoint = "127.0.0.1:" + std::to_string(sshd_->port());
  ASSERT_TRUE(eventually([&] { return capture_->has(err, {"CANNOT UPLOAD step 10", endpoint, "is sshd running"}); }))
      << "no loud error about the unreachable host";
  EXPECT_EQ(spooled(), std::vector<std::string>{step_name(10)});
  put_and_discard(*sink, 20);  // training goes on
  EXPECT_EQ(spooled(), (std::vector<std::string>{step_name(10), step_name(20)}));

  sshd_->start();  // the host is back
  sink->flush();
  EXPECT_EQ(folders(remote_), (std::vector<std::string>{step_name(10), step_name(20)}));
  EXPECT_TRUE(same_tree(tmp_ / "expected" / "step-10", remote_ / step_name(10)));
  EXPECT_TRUE(same_tree(tmp_ / "expected" / "step-20", remote_ / step_name(20)));
  EXPECT_TRUE(spooled().empty());
}

TEST_F(ScpSinkTest, FlushGivesUpAfterFlushTimeoutAndKeepsTheQueue) {
  auto sink = make_sink({{"flush_timeout", 1.0}});
  put_and_discard(*sink, 10);
  try {
    sink->flush();
    FAIL() << "flush() must give up when the host stays down";
  } catch (const socrates::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("gave up after flush_timeout"), std::string::npos) << what;
    EXPECT_NE(what.find("1 checkpoint(s)"), std::string::npos) << what;
    EXPECT_NE(what.find((run_dir_ / ".upload-queue").string()), std::string::npos) << what;
  }
  EXPECT_EQ(spooled(), std::vector<std::string>{step_name(10)});
}

TEST_F(ScpSinkTest, TheSpoolSurvivesTheSinkAndIsUploadedByTheNextOne) {
  {
    auto sink = make_sink();
    put_and_discard(*sink, 10);
    put_and_discard(*sink, 20);
  }  // destroyed with both uploads pending (as a crashed run would leave them)
  EXPECT_EQ(spooled(), (std::vector<std::string>{step_name(10), step_name(20)}));
  // A crash in the middle of put() leaves a partial snapshot: never uploaded, cleaned up.
  fs::path queue = *fs::directory_iterator(run_dir_ / ".upload-queue");
  fs::create_directories(queue / (".partial-" + step_name(30)) / "adapter");

  sshd_->start();
  auto again = make_sink();
  again->flush();
  EXPECT_TRUE(capture_->has(spdlog::level::info, {"2 checkpoint(s) from an earlier run are queued"}));
  EXPECT_EQ(folders(remote_), (std::vector<std::string>{step_name(10), step_name(20)}));
  EXPECT_TRUE(same_tree(tmp_ / "expected" / "step-20", remote_ / step_name(20)));
  EXPECT_TRUE(spooled().empty());
  EXPECT_FALSE(fs::exists(queue / (".partial-" + step_name(30))));
}

TEST_F(ScpSinkTest, QueuedCheckpointsThatRotationWouldDeleteAreNotUploaded) {
  auto sink = make_sink({{"keep_last", 2}});
  for (int step : {10, 20, 30, 40}) put_and_discard(*sink, step);
  // The host is down: 10 and 20 would be deleted on arrival, so the queue drops them (10
  // as soon as its running attempt fails).
  const std::vector<std::string> newest{step_name(30), step_name(40)};
  EXPECT_TRUE(eventually([&] { return spooled() == newest; }));
  sshd_->start();
  sink->flush();
  EXPECT_EQ(folders(remote_), (std::vector<std::string>{step_name(30), step_name(40)}));
}

TEST_F(ScpSinkTest, PutThrowsWhenTheSnapshotCannotBeWritten) {
  auto sink = make_sink();
  // The queue folder cannot be created (a file is in the way), as on a full or read-only disk.
  fs::create_directories(run_dir_);
  std::ofstream(run_dir_ / ".upload-queue") << "in the way";
  const socrates::CheckpointRef ref = make_checkpoint(10);
  try {
    sink->put(ref);
    FAIL() << "put() must report a snapshot it could not make";
  } catch (const socrates::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot queue step 10"), std::string::npos) << what;
    EXPECT_NE(what.find((run_dir_ / ".upload-queue").string()), std::string::npos) << what;
  }
  EXPECT_THROW(sink->put({20, tmp_ / "no-such-checkpoint", {}}), socrates::Error);
}
