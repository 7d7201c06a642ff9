#include "comm.hpp"

#include <atomic>
#include <cstdlib>
#include <vector>

#include <ATen/ops/zeros.h>
#include <fmt/format.h>
#include <torch/csrc/distributed/c10d/HashStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef SOCRATES_HAVE_NCCL
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "socrates/error.hpp"

namespace socrates::dist {

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

bool is_loopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

// One store prefix per Comm made in this process: every rank makes its Comms in the same
// order, so the numbers agree, and a second group never reads the first one's keys.
std::atomic<int> g_instances{0};

}  // namespace

std::string master_addr() {
  std::string a = env("MASTER_ADDR");
  if (a.empty())
    throw Error("WORLD_SIZE > 1 but MASTER_ADDR is not set: launch the ranks with `socrates run EXP "
                "--nproc-per-node N`, torchrun or srun (docs/distributed.md), which set it");
  return a;
}

int master_port() {
  const std::string p = env("MASTER_PORT");
  if (p.empty())
    throw Error("WORLD_SIZE > 1 but MASTER_PORT is not set: launch the ranks with `socrates run EXP "
                "--nproc-per-node N`, torchrun or srun (docs/distributed.md), which set it");
  try {
    const int port = std::stoi(p);
    if (port > 0 && port < 65536) return port;
  } catch (const std::exception&) {
  }
  throw Error("MASTER_PORT='" + p + "' is not a TCP port (1-65535)");
}

struct Comm::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::Backend> backend;
};

Comm::Comm(const CommOptions& opts) : opts_(opts), impl_(std::make_unique<Impl>()) {
  backend_name_ = opts.backend == "auto" ? (opts.device.is_cuda() ? "nccl" : "gloo") : opts.backend;
  const int instance = g_instances++;
  // One process without a launcher: an in-process store, nothing to meet.
  const bool alone = opts.world_size == 1 && env("MASTER_ADDR").empty();
  const std::string addr = alone ? "(in process)" : master_addr();
  const int port = alone ? 0 : master_port();
  if (alone) impl_->store = c10::make_intrusive<c10d::HashStore>();
  else try {
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(port);
    // Under torchrun the agent already serves the store (TORCHELASTIC_USE_AGENT_STORE):
    // every rank is a client. Otherwise rank 0 serves it; multiTenant lets the host's own
    // store in this process (the run directory handshake) and this one share the server.
    so.isServer = opts.rank == 0 && env("TORCHELASTIC_USE_AGENT_STORE") != "True";
    so.multiTenant = true;
    so.numWorkers = static_cast<std::size_t>(opts.world_size);
    so.waitWorkers = false;
    so.timeout = opts.timeout;
    auto tcp = c10::make_intrusive<c10d::TCPStore>(addr, so);
    const std::string restart = env("TORCHELASTIC_RESTART_COUNT");
    impl_->store = c10::make_intrusive<c10d::PrefixStore>(
        fmt::format("socrates/{}/{}/{}", restart.empty() ? "0" : restart, opts.plugin, instance), tcp);
  } catch (const std::exception& e) {
    throw Error(fmt::format("[parallelism] {}: rank {} of {} cannot reach the rendezvous store at {}:{}: {}",
                            opts.plugin, opts.rank, opts.world_size, addr, port, e.what()));
  }
  try {
    if (backend_name_ == "gloo") {
      auto o = c10d::ProcessGroupGloo::Options::create(opts.timeout);
      const std::string ifname = env("GLOO_SOCKET_IFNAME");
      if (!ifname.empty())
        o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      else if (is_loopback(addr))
        o->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      else
        o->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      o->threads = 2;
      impl_->backend = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, opts.rank, opts.world_size, o);
    } else if (backend_name_ == "nccl") {
#ifdef SOCRATES_HAVE_NCCL
      if (!opts.device.is_cuda())
        throw Error("backend \"nccl\" needs [run] device = \"cuda\"; on CPU use \"gloo\" (or \"auto\")");
      c10::cuda::set_device(opts.device.index());
      auto o = c10d::ProcessGroupNCCL::Options::create();
      o->timeout = opts.timeout;
      impl_->backend = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, opts.rank, opts.world_size, o);
#else
      throw Error("this build of Socrates has no NCCL (LibTorch without CUDA, or no CUDA compiler at build time); "
                  "use [parallelism] backend = \"gloo\"");
#endif
    } else {
      throw Error("unknown backend \"" + backend_name_ + "\"; use auto, gloo or nccl");
    }
  } catch (const Error& e) {
    throw Error(fmt::format("[parallelism] {}: rank {}: {}", opts.plugin, opts.rank, e.what()));
  } catch (const std::exception& e) {
    throw Error(fmt::format("[parallelism] {}: rank {} of {} could not connect to the other ranks over {} "
                            "(store {}:{}, timeout {} s): {}",
                            opts.plugin, opts.rank, opts.world_size, backend_name_, addr, port,
                            opts.timeout.count() / 1000, e.what()));
  }
}

Comm::~Comm() = default;

namespace {
// Starts a collective and waits for it; a peer that died, threw or hung surfaces here.
template <class Start>
void run(Start&& start, const CommOptions& o, const char* what) {
  try {
    start()->wait();
  } catch (const std::exception& e) {
    std::string msg = e.what();
    if (const auto nl = msg.find("\nException raised from"); nl != std::string::npos) msg.resize(nl);
    throw Error(fmt::format("[parallelism] {}: rank {} of {}: the collective '{}' failed: {}. Another rank died, "
                            "threw or stopped answering (timeout {} s): its own log line in run.log names the cause",
                            o.plugin, o.rank, o.world_size, what, msg, o.timeout.count() / 1000));
  }
}
}  // namespace

void Comm::all_reduce_sum(at::Tensor& t, const char* what) {
  std::vector<at::Tensor> v{t};
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::SUM;
  run([&] { return impl_->backend->allreduce(v, o); }, opts_, what);
}

void Comm::reduce_scatter_sum(at::Tensor& out, at::Tensor& in, const char* what) {
  c10d::ReduceScatterOptions o;
  o.reduceOp = c10d::ReduceOp::SUM;
  run([&] { return impl_->backend->_reduce_scatter_base(out, in, o); }, opts_, what);
}

void Comm::all_gather(at::Tensor& out, at::Tensor& in, const char* what) {
  run([&] { return impl_->backend->_allgather_base(out, in); }, opts_, what);
}

void Comm::barrier() {
  at::Tensor t = at::zeros({1}, at::TensorOptions().dtype(at::kFloat).device(opts_.device));
  all_reduce_sum(t, "barrier");
}

}  // namespace socrates::dist
