// One process, one device: gradients need no communication.
#include <ATen/ops/_foreach_mul.h>
#include <ATen/ops/_foreach_norm.h>
#include <ATen/ops/stack.h>

#include "socrates/parallelism.hpp"

namespace {

class Single final : public socrates::Parallelism {
 public:
  explicit Single(const socrates::PluginContext& ctx) {
    if (ctx.world_size > 1) {
      // Every rank would train on all the data: N GPUs, no speed-up.
      throw socrates::ConfigError("[parallelism] plugin 'single' runs one process, but WORLD_SIZE=" +
                                  std::to_string(ctx.world_size) +
                                  ". Select a multi-process plugin (ddp, zero2) or launch one process.");
    }
  }

  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  std::vector<socrates::NamedTensor> setup(std::vector<socrates::NamedTensor> params) override {
    params_ = params;
    return params;
  }
  void before_backward(bool) override {}
  void after_backward(bool) override {}

  // One host synchronisation per step (the norm that is returned), not one per tensor, and
  // after the scaling is queued: the device does not wait for the host between the two.
  double clip_grad_norm(double max_norm) override {
    std::vector<at::Tensor> grads;
    for (const auto& [name, p] : params_)
      if (p.grad().defined()) grads.push_back(p.grad());
    if (grads.empty()) return 0.0;
    // Per-tensor norms in one multi-tensor kernel; stacked, then summed in double.
    const at::Tensor norm = at::stack(at::_foreach_norm(grads, 2)).to(at::kDouble).square().sum().sqrt();
    // As torch.nn.utils.clip_grad_norm_: scale by min(1, max_norm / (norm + 1e-6)), computed
    // on the device (exactly 1 when norm + 1e-6 <= max_norm). A non-finite norm spoils the
    // gradients, not the parameters: the trainer stops before the update.
    if (max_norm > 0) at::_foreach_mul_(grads, (max_norm / (norm + 1e-6)).clamp_max(1.0).to(at::kFloat));
    return norm.item<double>();
  }

  void after_step() override {}
  void all_reduce_sum(at::Tensor&) override {}
  void barrier() override {}

 private:
  std::vector<socrates::NamedTensor> params_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Parallelism, Single, "single", "1.0.0", "One process on one device; no communication",
                SOCRATES_NO_OPTIONS);
