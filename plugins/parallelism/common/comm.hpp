// The collectives the ddp and zero2 plugins need, over a c10d backend (Gloo on CPU, NCCL on
// CUDA) that meets through a c10d::TCPStore at MASTER_ADDR:MASTER_PORT, as torchrun does.
// A failed or timed-out collective throws socrates::Error naming this rank and the
// operation; c10d's own exception never leaves this file.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

namespace socrates::dist {

struct CommOptions {
  int rank = 0;
  int world_size = 1;
  c10::Device device{c10::kCPU};
  std::string backend = "auto";  // auto (nccl on CUDA, gloo on CPU) | gloo | nccl
  std::chrono::milliseconds timeout{std::chrono::seconds(300)};
  std::string plugin;  // "ddp", "zero2": names errors and the store prefix
};

class Comm {
 public:
  /// Connects to the other ranks (blocks until all have joined or the timeout passes).
  explicit Comm(const CommOptions& opts);
  ~Comm();
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  int rank() const { return opts_.rank; }
  int world_size() const { return opts_.world_size; }
  const std::string& backend_name() const { return backend_name_; }

  /// In place; `t` must be contiguous and on the backend's device.
  void all_reduce_sum(at::Tensor& t, const char* what);
  /// out[n] = sum over ranks of in[rank * n .. (rank + 1) * n); in has world * n elements.
  void reduce_scatter_sum(at::Tensor& out, at::Tensor& in, const char* what);
  /// out[world * n] = every rank's in[n], in rank order.
  void all_gather(at::Tensor& out, at::Tensor& in, const char* what);
  void barrier();

 private:
  struct Impl;
  CommOptions opts_;
  std::string backend_name_;
  std::unique_ptr<Impl> impl_;
};

/// MASTER_ADDR and MASTER_PORT, with an error that says how to launch when they are missing.
std::string master_addr();
int master_port();

}  // namespace socrates::dist
