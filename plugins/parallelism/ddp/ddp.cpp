// DDP: every rank holds all trainable tensors, their gradients and the optimizer state, and
// trains on its own micro-batches. At the last micro-batch of a step the gradients are
// flattened into buckets of about bucket_mb and all-reduced with SUM: the trainer already
// divides the loss by the global token count, so the sum is the global-batch gradient.
#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>

#include "c10d_parallelism.hpp"
#include "owners.hpp"

namespace {

const socrates_option kOptions[] = {SOCRATES_C10D_OPTIONS};

class Ddp final : public socrates::dist::C10dParallelism {
 public:
  explicit Ddp(const socrates::PluginContext& ctx) : C10dParallelism(ctx, "ddp") {}

  std::vector<socrates::NamedTensor> setup(std::vector<socrates::NamedTensor> params) override {
    params_ = params;
    owner_ = socrates::dist::assign_owners(params_, world_size());
    for (auto [first, last] : socrates::dist::make_buckets(params_, bucket_bytes_)) {
      std::int64_t n = 0;
      for (std::size_t i = first; i < last; ++i) n += params_[i].second.numel();
      buckets_.push_back({first, last, at::empty({n}, at::TensorOptions().dtype(at::kFloat).device(opts_.device))});
    }
    if (world_size() > 1) comm();  // meet the other ranks now, not in the first backward
    if (rank() == 0)
      logger_->info("ddp: {} ranks, {} trainable tensors in {} gradient bucket{} of up to {:.1f} MB", world_size(),
                    params_.size(), buckets_.size(), buckets_.size() == 1 ? "" : "s",
                    static_cast<double>(bucket_bytes_) / (1 << 20));
    return params;
  }

  void before_backward(bool) override {}

  void after_backward(bool last) override {
    if (!last || world_size() == 1) return;
    at::NoGradGuard no_grad;
    for (Bucket& b : buckets_) {
      std::int64_t at = 0;
      for (std::size_t i = b.first; i < b.last; ++i) {
        const at::Tensor& p = params_[i].second;
        at::Tensor slot = b.flat.narrow(0, at, p.numel());
        if (p.grad().defined())
          slot.copy_(p.grad().reshape({-1}));
        else
          slot.zero_();  // no micro-batch on this rank, or the tensor took no part
        at += p.numel();
      }
      comm().all_reduce_sum(b.flat, "gradient all-reduce");
      at = 0;
      for (std::size_t i = b.first; i < b.last; ++i) {
        const at::Tensor& p = params_[i].second;
        at::Tensor sum = b.flat.narrow(0, at, p.numel()).view(p.sizes());
        if (p.grad().defined())
          p.mutable_grad().copy_(sum);
        else
          p.mutable_grad() = sum.to(p.scalar_type(), /*non_blocking=*/false, /*copy=*/true);
        at += p.numel();
      }
    }
  }

  double clip_grad_norm(double max_norm) override { return clip_owned(max_norm, params_); }

  void after_step() override {}

 private:
  struct Bucket {
    std::size_t first, last;
    at::Tensor flat;  // float32 on the run's device, reused every step
  };
  std::vector<Bucket> buckets_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Parallelism, Ddp, "ddp", "1.0.0",
                "Data parallel over c10d (NCCL on CUDA, Gloo on CPU): bucketed gradient all-reduce", kOptions);
