// test-optimizer: SGD with optional momentum, p -= lr * (momentum * buf + grad).
#include <ATen/core/grad_mode.h>
#include <ATen/ops/zeros_like.h>

#include "socrates/optimizer.hpp"

namespace {

const socrates_option kOptions[] = {
    {"momentum", SOCRATES_FLOAT, "0.0", "momentum factor (0 = plain SGD)", nullptr},
};

class TestOptimizer final : public socrates::Optimizer {
 public:
  explicit TestOptimizer(const socrates::PluginContext& ctx) : momentum_(ctx.config.get<double>("momentum")) {
    if (momentum_ < 0 || momentum_ >= 1) throw ctx.config.error("momentum", "must be in [0, 1)");
  }
  void init(std::vector<socrates::NamedTensor> params) override {
    params_ = std::move(params);
    for (const auto& [name, p] : params_) state_.tensors[name + ".momentum_buffer"] = at::zeros_like(p);
  }
  void step(double lr) override {
    at::NoGradGuard no_grad;
    for (auto& [name, p] : params_) {
      if (!p.grad().defined()) continue;
      at::Tensor& buf = state_.tensors.at(name + ".momentum_buffer");
      buf.mul_(momentum_).add_(p.grad());
      p.sub_(buf, lr);
    }
    ++steps_;
  }
  socrates::StateDict state() const override {
    socrates::StateDict s = state_;
    s.meta["step"] = std::to_string(steps_);
    return s;
  }
  void load_state(const socrates::StateDict& s) override {
    at::NoGradGuard no_grad;
    for (auto& [key, buf] : state_.tensors) {
      auto it = s.tensors.find(key);
      if (it == s.tensors.end()) throw socrates::Error("test-optimizer: state has no tensor '" + key + "'");
      if (it->second.sizes() != buf.sizes()) throw socrates::Error("test-optimizer: tensor '" + key + "' has another shape");
      buf.copy_(it->second);
    }
    steps_ = s.meta.count("step") ? std::stoll(s.meta.at("step")) : 0;
  }

 private:
  double momentum_;
  std::vector<socrates::NamedTensor> params_;
  socrates::StateDict state_;
  std::int64_t steps_ = 0;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Optimizer, TestOptimizer, "test-optimizer", "1.0.0", "SGD for tests", kOptions);
