// Plugins from unsafe places: the loader refuses a plugin file or directory that others than
// its owner and root can write (OpenSSH StrictModes), says how to fix it, and can be told not to.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugin/plugin_library.hpp"
#include "plugin/plugin_path_safety.hpp"
#include "plugin/plugin_registry.hpp"
#include "socrates/error.hpp"
#include "spawn_cli.hpp"

namespace fs = std::filesystem;
using namespace socrates;
using ::testing::HasSubstr;

namespace {

const fs::path kStub = fs::path(SOCRATES_TEST_PLUGIN_DIR) / "socrates_test_evaluator.so";

class PluginPathSafety : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv(kAllowUnsafePluginsEnv);
    root_ = fs::temp_directory_path() / ("socrates-unsafe-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(dir());
    ::chmod(root_.c_str(), 0755);
    ::chmod(dir().c_str(), 0755);
    fs::copy_file(kStub, file());
    ::chmod(file().c_str(), 0755);
  }
  void TearDown() override {
    ::unsetenv(kAllowUnsafePluginsEnv);
    fs::remove_all(root_);
  }
  fs::path dir() const { return root_ / "plugins"; }
  fs::path file() const { return dir() / "socrates_copied_evaluator.so"; }
  std::string load_error(const fs::path& p) {
    try {
      PluginLibrary::load(p);
    } catch (const PluginError& e) {
      return e.what();
    }
    return "";
  }
  fs::path root_;
};

}  // namespace

TEST_F(PluginPathSafety, SafePlaceLoads) {
  EXPECT_EQ(unsafe_plugin_path(file()), "");
  EXPECT_EQ(load_error(file()), "");
}

TEST_F(PluginPathSafety, WorldWritableDirectoryIsRefused) {
  ::chmod(dir().c_str(), 0777);
  const std::string e = load_error(file());
  EXPECT_THAT(e, HasSubstr(file().string() + ": refusing to load a plugin from an unsafe place: directory " +
                           dir().string() + " is writable by everyone (mode 0777)"));
  EXPECT_THAT(e, HasSubstr("chmod go-w " + dir().string()));
  EXPECT_THAT(e, HasSubstr("SOCRATES_ALLOW_UNSAFE_PLUGINS=1"));
}

TEST_F(PluginPathSafety, GroupWritableFileOrParentIsRefused) {
  ::chmod(file().c_str(), 0775);
  EXPECT_THAT(load_error(file()), HasSubstr("plugin file " + file().string() + " is writable by its group (mode 0775)"));
  ::chmod(file().c_str(), 0755);
  ::chmod(root_.c_str(), 0775);
  EXPECT_THAT(load_error(file()), HasSubstr("directory " + root_.string() + " is writable by its group"));
}

TEST_F(PluginPathSafety, StickyWorldWritableParentIsAccepted) {
  ::chmod(root_.c_str(), 01777);  // like /tmp
  EXPECT_EQ(load_error(file()), "");
}

TEST_F(PluginPathSafety, SymlinkIntoAnUnsafePlaceIsRefused) {
  const fs::path unsafe = root_ / "open";
  fs::create_directories(unsafe);
  ::chmod(unsafe.c_str(), 0777);
  fs::rename(file(), unsafe / "real.so");
  fs::create_symlink(unsafe / "real.so", file());
  EXPECT_THAT(load_error(file()), HasSubstr("directory " + unsafe.string() + " is writable by everyone"));
}

TEST_F(PluginPathSafety, FileOfAnotherUserIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the file to another user";
  ASSERT_EQ(::chown(file().c_str(), 65534, 65534), 0);
  EXPECT_THAT(load_error(file()), HasSubstr("plugin file " + file().string() + " is owned by uid 65534"));
}

TEST_F(PluginPathSafety, OptOutLoadsAnyway) {
  ::chmod(dir().c_str(), 0777);
  ::setenv(kAllowUnsafePluginsEnv, "1", 1);
  EXPECT_EQ(load_error(file()), "");
}

// Through the CLI: the registry keeps scanning, `plugins list` shows why the file was refused,
// and selecting the plugin fails with a lookup error, not a crash.
TEST_F(PluginPathSafety, PluginsListWarnsAndSkipsTheFile) {
  ::chmod(dir().c_str(), 0777);
  const auto r = test::spawn_socrates({"plugins", "list"}, root_ / "scratch", std::chrono::seconds(30),
                                      {{"SOCRATES_PLUGIN_PATH", dir().string()}});
  EXPECT_EQ(r.status, 0) << r.describe() << r.err;
  EXPECT_THAT(r.err, HasSubstr("refusing to load a plugin from an unsafe place"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr(file().string())));
  const auto ok = test::spawn_socrates({"plugins", "list"}, root_ / "scratch", std::chrono::seconds(30),
                                       {{"SOCRATES_PLUGIN_PATH", dir().string()}, {kAllowUnsafePluginsEnv, "1"}});
  EXPECT_THAT(ok.out, HasSubstr(file().string()));
}
