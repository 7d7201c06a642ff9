// test-parallelism: a single process; gradients are only clipped.
#include <cmath>

#include <ATen/core/grad_mode.h>

#include "socrates/parallelism.hpp"

namespace {

const socrates_option kOptions[] = {
    {"clip_eps", SOCRATES_FLOAT, "1e-6", "added to the norm when clipping", nullptr},
};

class TestParallelism final : public socrates::Parallelism {
 public:
  explicit TestParallelism(const socrates::PluginContext& ctx) : eps_(ctx.config.get<double>("clip_eps")) {
    if (ctx.world_size != 1) {
      throw socrates::Error("test-parallelism runs one process, but WORLD_SIZE is " + std::to_string(ctx.world_size));
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
  double clip_grad_norm(double max_norm) override {
    double sq = 0;
    for (const auto& [name, p] : params_) {
      if (p.grad().defined()) sq += p.grad().pow(2).sum().item<double>();
    }
    const double norm = std::sqrt(sq);
    if (max_norm > 0 && norm > max_norm) {
      at::NoGradGuard no_grad;
      for (auto& [name, p] : params_) {
        if (p.grad().defined()) p.mutable_grad().mul_(max_norm / (norm + eps_));
      }
    }
    return norm;
  }
  void after_step() override {}
  void all_reduce_sum(at::Tensor&) override {}
  void barrier() override {}

 private:
  double eps_;
  std::vector<socrates::NamedTensor> params_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Parallelism, TestParallelism, "test-parallelism", "1.0.0", "Single process for tests",
                kOptions);
