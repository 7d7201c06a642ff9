// Host key checking: unknown hosts are refused unless accept_unknown_hosts, changed keys always.
#include <fstream>

#include "scp_fixture.hpp"

namespace fs = std::filesystem;
using socrates::testing::ScpSinkTest;
using spdlog::level::err;
using spdlog::level::warn;

namespace {
std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
}  // namespace

TEST_F(ScpSinkTest, UnknownHostKeyIsRefusedWithoutOptIn) {
  sshd_->start();
  const fs::path empty = tmp_ / "empty_known_hosts";
  std::ofstream(empty).close();
  auto sink = make_sink({{"known_hosts_file", empty.string()}, {"retries", 0}, {"flush_timeout", 3.0}});
  put_and_discard(*sink, 10);
  try {
    sink->flush();
    FAIL() << "flush() must give up: the host is not trusted";
  } catch (const socrates::Error& e) {
    EXPECT_NE(std::string(e.what()).find("still queued"), std::string::npos) << e.what();
  }
  const std::string endpoint = sshd_->user() + "@127.0.0.1:" + std::to_string(sshd_->port());
  EXPECT_TRUE(capture_->has(err, {"CANNOT UPLOAD step 10", endpoint, "is not in " + empty.string(),
                                  "accept_unknown_hosts = true"}));
  EXPECT_FALSE(fs::exists(remote_)) << "nothing may reach an untrusted host";
  EXPECT_EQ(spooled(), std::vector<std::string>{step_name(10)}) << "the checkpoint stays queued";
  EXPECT_EQ(read_text(empty), "") << "the unknown key must not be recorded";
}

TEST_F(ScpSinkTest, AcceptUnknownHostsTrustsOnFirstUseAndSaysSoLoudly) {
  sshd_->start();
  const fs::path fresh = tmp_ / "fresh" / "known_hosts";
  fs::create_directories(fresh.parent_path());
  auto sink = make_sink({{"known_hosts_file", fresh.string()}, {"accept_unknown_hosts", true}});
  EXPECT_TRUE(capture_->has(warn, {"accept_unknown_hosts = true", "man-in-the-middle"}));
  put_and_discard(*sink, 10);
  sink->flush();
  EXPECT_TRUE(same_tree(tmp_ / "expected" / "step-10", remote_ / step_name(10)));
  // The key was recorded (hashed or not, it is the server's key).
  const std::string line = sshd_->known_hosts_line();
  const std::string key = line.substr(line.rfind(' ') + 1);
  EXPECT_NE(read_text(fresh).find(key), std::string::npos) << read_text(fresh);
}

TEST_F(ScpSinkTest, WrongHostKeyIsRefusedEvenWithAcceptUnknownHosts) {
  sshd_->start();
  const fs::path wrong = tmp_ / "wrong_known_hosts";
  sshd_->write_wrong_known_hosts(wrong);
  auto sink = make_sink(
      {{"known_hosts_file", wrong.string()}, {"accept_unknown_hosts", true}, {"retries", 0}, {"flush_timeout", 3.0}});
  put_and_discard(*sink, 10);
  EXPECT_THROW(sink->flush(), socrates::Error);
  EXPECT_TRUE(capture_->has(err, {"CANNOT UPLOAD step 10", "differs from the one in " + wrong.string(),
                                  "intercepting"}));
  EXPECT_FALSE(fs::exists(remote_));
  EXPECT_EQ(spooled(), std::vector<std::string>{step_name(10)});
}

TEST_F(ScpSinkTest, AKeyTheServerDoesNotKnowIsRefused) {
  sshd_->start();
  const fs::path other = tmp_ / "other_user_key";
  ASSERT_EQ(socrates::testing::run_program({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other.string()},
                                            tmp_ / "keygen.log"),
            0);
  auto sink = make_sink({{"identity_file", other.string()}, {"retries", 0}, {"flush_timeout", 3.0}});
  put_and_discard(*sink, 10);
  EXPECT_THROW(sink->flush(), socrates::Error);
  EXPECT_TRUE(capture_->has(err, {"CANNOT UPLOAD step 10", "the server refused the key", other.string()}));
  EXPECT_FALSE(fs::exists(remote_));
}
