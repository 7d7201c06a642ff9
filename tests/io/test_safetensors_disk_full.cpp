// Saving onto a full disk or past a file-size limit: a clear error, and the previous file
// stays as it was. Each case runs in a forked child (limits and mounts stay there).
#include <gtest/gtest.h>

#include <ATen/ops/arange.h>
#include <ATen/ops/ones.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstring>

#include "io/safetensors_writer.hpp"
#include "safetensors_test_util.hpp"

using namespace socrates;
using namespace sttest;

namespace {

constexpr int kCannot = 77;  // the child could not set up the case

struct Child {
  int status = -1;  // exit code, or -1 if it did not exit normally
  std::string output;
};

// Runs `body` in a forked child that writes its report to `fd`; returns the exit code.
Child run_in_child(const std::function<int(int fd)>& body) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    int code = 1;
    try {
      code = body(fds[1]);
    } catch (...) {
    }
    ::_exit(code);
  }
  ::close(fds[1]);
  Child child;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    child.output.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) child.status = WEXITSTATUS(status);
  return child;
}

void report(int fd, const std::string& text) {
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

bool write_proc(const char* file, const std::string& text) {
  const int fd = ::open(file, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  return ok;
}

// A mount namespace of our own (as root, or as root of a new user namespace).
bool private_mounts() {
  if (::geteuid() == 0) {
    if (::unshare(CLONE_NEWNS) != 0) return false;
  } else {
    const auto uid = ::getuid();
    const auto gid = ::getgid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return false;
    write_proc("/proc/self/setgroups", "deny");
    if (!write_proc("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1") ||
        !write_proc("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"))
      return false;
  }
  return ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

TEST(SafetensorsDiskFull, FileSizeLimit) {
  TempDir dir;
  const fs::path p = dir / "a.safetensors";
  save_safetensors(p, {{"old", at::arange(10, at::kFloat)}});
  const std::string before = read_bytes(p);
  const at::Tensor big = at::ones({256 * 1024}, at::kFloat);  // 1 MiB, made before the fork

  const Child child = run_in_child([&](int fd) {
    std::signal(SIGXFSZ, SIG_IGN);  // else the kernel kills the writer
    const rlimit limit{64 * 1024, 64 * 1024};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) return kCannot;
    report(fd, error_of([&] { save_safetensors(p, {{"big", big}}); }));
    return 0;
  });
  ASSERT_EQ(child.status, 0) << child.output;
  EXPECT_EQ(child.output, "cannot write " + p.string() + ": the file-size limit was hit (" + std::strerror(EFBIG) +
                              "). Raise the limit (ulimit -f) or save to a file system that allows larger files; any "
                              "previous a.safetensors is unchanged.");
  EXPECT_EQ(read_bytes(p), before);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"a.safetensors"});
}

TEST(SafetensorsDiskFull, FullDisk) {
  TempDir dir;
  const fs::path p = dir / "a.safetensors";
  const at::Tensor small = at::arange(10, at::kFloat);
  const at::Tensor big = at::ones({256 * 1024}, at::kFloat);  // 1 MiB, on a 256 KiB disk

  const Child child = run_in_child([&](int fd) {
    if (!private_mounts() || ::mount("tmpfs", dir.path().c_str(), "tmpfs", 0, "size=256k") != 0) return kCannot;
    save_safetensors(p, {{"old", small}});
    const std::string before = read_bytes(p);
    report(fd, error_of([&] { save_safetensors(p, {{"big", big}}); }));
    const bool intact = read_bytes(p) == before && dir.entries() == std::vector<std::string>{"a.safetensors"};
    report(fd, intact ? "\nintact" : "\nchanged");
    return 0;  // the tmpfs goes with the namespace
  });
  if (child.status == kCannot) GTEST_SKIP() << "cannot mount a small tmpfs here (needs root or user namespaces)";
  ASSERT_EQ(child.status, 0) << child.output;
  EXPECT_EQ(child.output, "cannot write " + p.string() + ": the disk is full (" + std::strerror(ENOSPC) +
                              "). Free space in " + dir.path().string() +
                              " and save again; any previous a.safetensors is unchanged.\nintact");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{});  // the mount stayed in the child
}

}  // namespace
