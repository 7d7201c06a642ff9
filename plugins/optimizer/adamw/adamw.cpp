// AdamW (Loshchilov & Hutter) with decoupled weight decay, step for step the same as
// torch.optim.AdamW (non-amsgrad). Moments are float32 whatever the parameter dtype.
#include <cmath>

#include <ATen/ops/_foreach_add.h>
#include <ATen/ops/_foreach_addcdiv.h>
#include <ATen/ops/_foreach_addcmul.h>
#include <ATen/ops/_foreach_div.h>
#include <ATen/ops/_foreach_lerp.h>
#include <ATen/ops/_foreach_mul.h>
#include <ATen/ops/_foreach_sqrt.h>
#include <ATen/ops/zeros.h>

#include "socrates/optimizer.hpp"

namespace {

const socrates_option kOptions[] = {
    {"betas", SOCRATES_FLOAT_LIST, "[0.9, 0.999]", "Decay rates of the first and second moment estimates", nullptr},
    {"eps", SOCRATES_FLOAT, "1e-8", "Added to the denominator for numerical stability", nullptr},
    {"weight_decay", SOCRATES_FLOAT, "0.1", "Decoupled weight decay (the paper uses 0.1)", nullptr},
};

class AdamW final : public socrates::Optimizer {
 public:
  explicit AdamW(const socrates::PluginContext& ctx) : cfg_(ctx.config) {
    const auto betas = cfg_.get<std::vector<double>>("betas");
    if (betas.size() != 2) throw cfg_.error("betas", "needs exactly two values, e.g. [0.9, 0.999]");
    beta1_ = betas[0];
    beta2_ = betas[1];
    for (double b : betas)
      if (!(b >= 0.0 && b < 1.0)) throw cfg_.error("betas", "each beta must be in [0, 1)");
    eps_ = cfg_.get<double>("eps");
    weight_decay_ = cfg_.get<double>("weight_decay");
    if (eps_ <= 0) throw cfg_.error("eps", "must be > 0");
    if (weight_decay_ < 0) throw cfg_.error("weight_decay", "must be >= 0");
  }

  void init(std::vector<socrates::NamedTensor> params) override {
    params_.clear();
    for (auto& [name, p] : params) {
      auto opts = p.options().dtype(at::kFloat);
      params_.push_back({name, p, at::zeros(p.sizes(), opts), at::zeros(p.sizes(), opts), 0});
    }
  }

  // The update as multi-tensor (foreach) kernels over every parameter with a gradient: a
  // few launches a step instead of eight per parameter, the same arithmetic per element.
  void step(double lr) override {
    std::vector<at::Tensor> ps, gs, ms, vs;
    std::vector<at::Scalar> bc2_sqrt, step_size;
    std::vector<std::pair<at::Tensor, at::Tensor>> copy_back;  // (parameter, float32 copy)
    for (State& s : params_) {
      const at::Tensor& g0 = s.param.grad();
      if (!g0.defined()) continue;
      ++s.step;
      at::Tensor p = s.param.scalar_type() == at::kFloat ? s.param.detach() : s.param.detach().to(at::kFloat);
      if (s.param.scalar_type() != at::kFloat) copy_back.emplace_back(s.param.detach(), p);
      ps.push_back(p);
      gs.push_back(g0.scalar_type() == at::kFloat ? g0 : g0.to(at::kFloat));
      ms.push_back(s.exp_avg);
      vs.push_back(s.exp_avg_sq);
      const double bc1 = 1.0 - std::pow(beta1_, static_cast<double>(s.step));
      bc2_sqrt.emplace_back(std::sqrt(1.0 - std::pow(beta2_, static_cast<double>(s.step))));
      step_size.emplace_back(-lr / bc1);
    }
    if (ps.empty()) return;
    at::_foreach_mul_(ps, 1.0 - lr * weight_decay_);
    at::_foreach_lerp_(ms, gs, 1.0 - beta1_);
    at::_foreach_mul_(vs, beta2_);
    at::_foreach_addcmul_(vs, gs, gs, 1.0 - beta2_);
    std::vector<at::Tensor> denom = at::_foreach_sqrt(vs);
    at::_foreach_div_(denom, bc2_sqrt);
    at::_foreach_add_(denom, eps_);
    at::_foreach_addcdiv_(ps, ms, denom, step_size);
    for (auto& [param, p] : copy_back) param.copy_(p);
  }

  socrates::StateDict state() const override {
    socrates::StateDict sd;
    for (const State& s : params_) {
      sd.tensors[s.name + ".exp_avg"] = s.exp_avg;
      sd.tensors[s.name + ".exp_avg_sq"] = s.exp_avg_sq;
      sd.meta[s.name + ".step"] = std::to_string(s.step);
    }
    return sd;
  }

  void load_state(const socrates::StateDict& sd) override {
    for (State& s : params_) {
      s.exp_avg.copy_(find(sd, s.name + ".exp_avg", s.exp_avg));
      s.exp_avg_sq.copy_(find(sd, s.name + ".exp_avg_sq", s.exp_avg_sq));
      auto it = sd.meta.find(s.name + ".step");
      if (it == sd.meta.end()) throw socrates::Error("adamw state: missing step count for '" + s.name + "'");
      s.step = std::stoll(it->second);
    }
  }

 private:
  struct State {
    std::string name;
    at::Tensor param;
    at::Tensor exp_avg;
    at::Tensor exp_avg_sq;
    std::int64_t step;
  };

  static const at::Tensor& find(const socrates::StateDict& sd, const std::string& key, const at::Tensor& like) {
    auto it = sd.tensors.find(key);
    if (it == sd.tensors.end()) throw socrates::Error("adamw state: missing tensor '" + key + "'");
    if (it->second.sizes() != like.sizes()) {
      throw socrates::Error("adamw state: tensor '" + key + "' has shape " + c10::str(it->second.sizes()) +
                            ", expected " + c10::str(like.sizes()));
    }
    return it->second;
  }

  socrates::ConfigSection cfg_;
  double beta1_ = 0.9, beta2_ = 0.999, eps_ = 1e-8, weight_decay_ = 0.1;
  std::vector<State> params_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Optimizer, AdamW, "adamw", "1.0.0",
                "AdamW with decoupled weight decay; matches torch.optim.AdamW", kOptions);
