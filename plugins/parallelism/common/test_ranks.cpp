#include "test_ranks.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace socrates::testing_ranks {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string scenario() {
  const char* s = std::getenv("SOCRATES_TR_SCENARIO");
  return s ? s : "";
}

void emit(const std::string& line) {
  std::ofstream(std::getenv("SOCRATES_TR_OUT"), std::ios::app) << line << "\n";
}

std::vector<RankResult> run_ranks(int world, const std::string& child_test, const std::string& scen, double timeout_s) {
  const fs::path dir = fs::temp_directory_path() / ("socrates-ranks-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  const int port = free_port();
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const std::string filter = "--gtest_filter=" + child_test;
  std::vector<pid_t> pids;
  for (int r = 0; r < world; ++r) {
    const pid_t pid = fork();
    if (pid == 0) {
      setenv("RANK", std::to_string(r).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      setenv("WORLD_SIZE", std::to_string(world).c_str(), 1);
      setenv("LOCAL_WORLD_SIZE", std::to_string(world).c_str(), 1);
      setenv("MASTER_ADDR", "127.0.0.1", 1);
      setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      setenv("SOCRATES_TR_SCENARIO", scen.c_str(), 1);
      setenv("SOCRATES_TR_OUT", (dir / ("rank" + std::to_string(r))).c_str(), 1);
      execl(self.c_str(), self.c_str(), filter.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    pids.push_back(pid);
  }
  std::vector<RankResult> out(static_cast<std::size_t>(world));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  int left = world;
  while (left > 0) {
    for (int r = 0; r < world; ++r) {
      pid_t& pid = pids[static_cast<std::size_t>(r)];
      if (pid <= 0) continue;
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        out[static_cast<std::size_t>(r)].exit_code =
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        pid = 0;
        --left;
      }
    }
    if (left > 0 && std::chrono::steady_clock::now() > deadline) {
      for (pid_t pid : pids)
        if (pid > 0) {
          kill(pid, SIGKILL);
          waitpid(pid, nullptr, 0);
        }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (int r = 0; r < world; ++r) {
    std::ifstream in(dir / ("rank" + std::to_string(r)));
    std::stringstream ss;
    ss << in.rdbuf();
    out[static_cast<std::size_t>(r)].output = ss.str();
  }
  fs::remove_all(dir);
  return out;
}

}  // namespace socrates::testing_ranks
