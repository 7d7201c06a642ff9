// fetch(): download into an empty folder, verified locally; corruption is named.
#include "plugin/host_services.hpp"
#include "scp_fixture.hpp"

namespace fs = std::filesystem;
using socrates::testing::ScpSinkTest;

class ScpFetchTest : public ScpSinkTest {
 protected:
  void SetUp() override {
    ScpSinkTest::SetUp();
    if (IsSkipped()) return;
    sshd_->start();
    sink_ = make_sink();
    put_and_discard(*sink_, 10);
    sink_->flush();
  }
  std::shared_ptr<socrates::CheckpointSink> sink_;
};

TEST_F(ScpFetchTest, FetchesIntoAnEmptyFolderAndVerifies) {
  const fs::path dest = tmp_ / "restore" / "step-10";
  sink_->fetch(10, dest);
  EXPECT_EQ(socrates::host_services().verify_checkpoint(dest), "");
  EXPECT_TRUE(same_tree(tmp_ / "expected" / "step-10", dest));
}

TEST_F(ScpFetchTest, ACorruptRemoteFileIsDetectedAndNamed) {
  flip_byte(remote_ / step_name(10) / "adapter" / "adapter_model.safetensors", 100);
  const fs::path dest = tmp_ / "restore" / "step-10";
  try {
    sink_->fetch(10, dest);
    FAIL() << "a corrupt remote checkpoint must not be accepted";
  } catch (const socrates::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("adapter/adapter_model.safetensors"), std::string::npos) << what;
    EXPECT_NE(what.find("corrupt"), std::string::npos) << what;
  }
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_TRUE(folders(tmp_ / "restore").empty()) << "no partial download is left behind";
}

TEST_F(ScpFetchTest, AnUnknownStepSaysWhatTheRemoteHolds) {
  try {
    sink_->fetch(99, tmp_ / "restore" / "x");
    FAIL();
  } catch (const socrates::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("no checkpoint step 99"), std::string::npos) << what;
    EXPECT_NE(what.find("it holds: 10"), std::string::npos) << what;
  }
}

TEST_F(ScpFetchTest, RefusesAnExistingDestination) {
  fs::create_directories(tmp_ / "restore" / "step-10");
  EXPECT_THROW(sink_->fetch(10, tmp_ / "restore" / "step-10"), socrates::Error);
}
