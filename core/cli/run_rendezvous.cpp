#include "cli/run_rendezvous.hpp"

#include <chrono>
#include <cstdlib>

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "socrates/error.hpp"

namespace socrates::cli {

namespace {

constexpr char kFailed = '\x01';  // the value rank 0 publishes when it could not make the run directory

c10::intrusive_ptr<c10d::Store>& store() {
  static c10::intrusive_ptr<c10d::Store> s;  // lives until exit: rank 0 serves the others
  return s;
}

std::string key() {
  const char* restart = std::getenv("TORCHELASTIC_RESTART_COUNT");
  return std::string("socrates/") + (restart ? restart : "0") + "/run_dir";
}

}  // namespace

std::filesystem::path agree_on_run_dir(const DistEnv& env, const std::function<std::filesystem::path()>& make) {
  if (env.world_size <= 1) return make();
  try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(env.master_port);
    const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
    so.isServer = env.rank == 0 && !(agent && std::string(agent) == "True");
    so.multiTenant = true;  // the ddp/zero2 plugins in this process reuse the server
    so.numWorkers = static_cast<std::size_t>(env.world_size);
    so.waitWorkers = false;
    so.timeout = std::chrono::seconds(600);
    store() = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
  } catch (const std::exception& e) {
    throw Error("rank " + std::to_string(env.rank) + ": cannot reach the rendezvous store at " + env.master_addr + ":" +
                std::to_string(env.master_port) + " (" + e.what() + "). Is rank 0 running, and MASTER_ADDR reachable?");
  }
  if (env.rank == 0) {
    try {
      const std::filesystem::path dir = make();
      store()->set(key(), dir.string());
      return dir;
    } catch (const std::exception& e) {
      store()->set(key(), std::string(1, kFailed) + e.what());
      throw;
    }
  }
  std::string v;
  try {
    const std::vector<std::uint8_t> bytes = store()->get(key());
    v.assign(bytes.begin(), bytes.end());
  } catch (const std::exception& e) {
    throw Error("rank " + std::to_string(env.rank) + ": rank 0 did not publish the run directory (" + e.what() +
                "); its log says why");
  }
  if (!v.empty() && v[0] == kFailed) throw Error("rank 0 failed to set up the run directory: " + v.substr(1));
  return v;
}

}  // namespace socrates::cli
