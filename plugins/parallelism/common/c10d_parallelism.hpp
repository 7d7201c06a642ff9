// What ddp and zero2 share: the [parallelism] options, the lazily connected process group,
// scalar all-reduces for the trainer, and the global gradient norm over owned tensors.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "comm.hpp"
#include "socrates/parallelism.hpp"

namespace socrates::dist {

/// The option table entries both plugins have (backend, timeout_s, bucket_mb).
#define SOCRATES_C10D_OPTIONS                                                                                    \
  {"backend", SOCRATES_STRING, "\"auto\"", "c10d backend: auto (nccl on CUDA, gloo on CPU), gloo or nccl",       \
   "auto|gloo|nccl"},                                                                                            \
      {"timeout_s", SOCRATES_FLOAT, "300",                                                                       \
       "Seconds a rank waits for the others (start-up and every collective) before it fails; a rank that dies "  \
       "is noticed at once",                                                                                     \
       nullptr},                                                                                                 \
      {"bucket_mb", SOCRATES_FLOAT, "25", "Size of the flattened gradient buckets each collective sends, in MB", \
       nullptr}

class C10dParallelism : public Parallelism {
 public:
  C10dParallelism(const PluginContext& ctx, const char* plugin);

  int rank() const override { return opts_.rank; }
  int world_size() const override { return opts_.world_size; }
  void all_reduce_sum(at::Tensor& t) override;
  void barrier() override;

 protected:
  /// Connects on first use (not in the constructor: `socrates validate` creates the plugin
  /// without any other rank).
  Comm& comm();
  /// Global L2 norm of the gradients: each rank sums the squares of the tensors it owns
  /// (owner_), one scalar all-reduce adds them. Scales `scaled` by min(1, max_norm / (norm +
  /// 1e-6)) when max_norm > 0, on the device (torch.nn.utils.clip_grad_norm_).
  double clip_owned(double max_norm, const std::vector<NamedTensor>& scaled);

  std::shared_ptr<spdlog::logger> logger_;
  CommOptions opts_;
  std::int64_t bucket_bytes_ = 25 << 20;
  std::vector<NamedTensor> params_;  // all trainable tensors, in the adapter's order
  std::vector<int> owner_;           // owner_[i]: the rank owning params_[i]

 private:
  std::unique_ptr<Comm> comm_;
};

}  // namespace socrates::dist
