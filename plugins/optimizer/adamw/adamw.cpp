// AdamW (Loshchilov & Hutter) with decoupled weight decay, step for step the same as
// torch.optim.AdamW (non-amsgrad): fused = true as torch's fused=True (one kernel), false as
// its default multi-tensor path. Moments are float32 whatever the parameter dtype.
#include <cmath>
#include <optional>

#include <ATen/core/grad_mode.h>
#include <ATen/ops/_fused_adamw.h>

#include <ATen/ops/_foreach_add.h>
#include <ATen/ops/_foreach_addcdiv.h>
#include <ATen/ops/_foreach_addcmul.h>
#include <ATen/ops/_foreach_div.h>
#include <ATen/ops/_foreach_lerp.h>
#include <ATen/ops/_foreach_mul.h>
#include <ATen/ops/_foreach_sqrt.h>
#include <ATen/ops/scalar_tensor.h>
#include <ATen/ops/zeros.h>

#include "socrates/optimizer.hpp"

namespace {

const socrates_option kOptions[] = {
    {"betas", SOCRATES_FLOAT_LIST, "[0.9, 0.999]", "Decay rates of the first and second moment estimates", nullptr},
    {"eps", SOCRATES_FLOAT, "1e-8", "Added to the denominator for numerical stability", nullptr},
    {"weight_decay", SOCRATES_FLOAT, "0.1", "Decoupled weight decay (the paper uses 0.1)", nullptr},
    {"fused", SOCRATES_BOOL, "true",
     "float32 parameters in one fused kernel (torch.optim.AdamW(fused=True)); false: torch's default multi-tensor "
     "path. The two differ in rounding only",
     nullptr},
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
    fused_ = cfg_.get<bool>("fused");
  }

  // The path of each parameter is fixed here, so that its step count on the device (the fused
  // kernel's) and on the host never part: float32, contiguous parameters on the first such
  // parameter's device take the fused kernel.
  void init(std::vector<socrates::NamedTensor> params) override {
    params_.clear();
    std::optional<c10::Device> fused_device;
    for (auto& [name, p] : params) {
      auto opts = p.options().dtype(at::kFloat);
      const bool f = fused_ && p.scalar_type() == at::kFloat && p.is_contiguous() &&
                     (!fused_device || p.device() == *fused_device);
      if (f) fused_device = p.device();
      params_.push_back({name, p, at::zeros(p.sizes(), opts), at::zeros(p.sizes(), opts), 0,
                         at::scalar_tensor(0.0, opts), f});
    }
  }

  // float32 parameters of one device (LoRA's) take the fused kernel; the rest the multi-tensor
  // (foreach) path: a few launches a step instead of eight per parameter. The host work per
  // parameter is kept small: it runs while the device waits (after the gradient norm's sync).
  void step(double lr) override {
    at::NoGradGuard no_grad;
    Lists fused, multi;
    for (State& s : params_) {
      const at::Tensor& g = s.param.grad();
      if (!g.defined()) continue;
      ++s.step;
      Lists& l = s.fused ? fused : multi;
      l.ps.push_back(s.param);
      // The fused kernel reads the gradient as one float32 run of the parameter's layout.
      l.gs.push_back(!s.fused ? g : (g.scalar_type() == at::kFloat ? g : g.to(at::kFloat)).contiguous());
      l.ms.push_back(s.exp_avg);
      l.vs.push_back(s.exp_avg_sq);
      if (s.fused) l.steps.push_back(s.step_t);
      else l.step_counts.push_back(s.step);
    }
    if (!fused.ps.empty()) {
      at::_foreach_add_(fused.steps, 1.0);  // the device's copy of each parameter's step
      at::_fused_adamw_(fused.ps, fused.gs, fused.ms, fused.vs, {}, fused.steps, lr, beta1_, beta2_, weight_decay_,
                        eps_, /*amsgrad=*/false, /*maximize=*/false);
      // The kernel writes the parameters without the version bump of an in-place op; LoRA's
      // cast copies and autograd's checks read it.
      for (const at::Tensor& p : fused.ps) p.unsafeGetTensorImpl()->bump_version();
    }
    if (!multi.ps.empty()) multi_tensor_step(multi, lr);
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
      s.step_t.fill_(static_cast<double>(s.step));
    }
  }

 private:
  struct State {
    std::string name;
    at::Tensor param;
    at::Tensor exp_avg;
    at::Tensor exp_avg_sq;
    std::int64_t step;
    at::Tensor step_t;  // step as a float32 scalar on the parameter's device (the fused kernel's)
    bool fused;         // takes the fused kernel (fixed at init)
  };
  struct Lists {
    std::vector<at::Tensor> ps, gs, ms, vs, steps;
    std::vector<std::int64_t> step_counts;
  };

  // torch's _multi_tensor_adamw; parameters of another dtype update a float32 copy.
  void multi_tensor_step(Lists& l, double lr) const {
    std::vector<at::Scalar> bc2_sqrt, step_size;
    std::vector<std::pair<at::Tensor, at::Tensor>> copy_back;  // (parameter, float32 copy)
    for (std::size_t i = 0; i < l.ps.size(); ++i) {
      if (l.ps[i].scalar_type() != at::kFloat) {
        at::Tensor p = l.ps[i].to(at::kFloat);
        copy_back.emplace_back(l.ps[i], p);
        l.ps[i] = p;
      }
      if (l.gs[i].scalar_type() != at::kFloat) l.gs[i] = l.gs[i].to(at::kFloat);
      const auto t = static_cast<double>(l.step_counts[i]);
      bc2_sqrt.emplace_back(std::sqrt(1.0 - std::pow(beta2_, t)));
      step_size.emplace_back(-lr / (1.0 - std::pow(beta1_, t)));
    }
    at::_foreach_mul_(l.ps, 1.0 - lr * weight_decay_);
    at::_foreach_lerp_(l.ms, l.gs, 1.0 - beta1_);
    at::_foreach_mul_(l.vs, beta2_);
    at::_foreach_addcmul_(l.vs, l.gs, l.gs, 1.0 - beta2_);
    std::vector<at::Tensor> denom = at::_foreach_sqrt(l.vs);
    at::_foreach_div_(denom, bc2_sqrt);
    at::_foreach_add_(denom, eps_);
    at::_foreach_addcdiv_(l.ps, l.ms, denom, step_size);
    for (auto& [param, p] : copy_back) param.copy_(p);
  }

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
  bool fused_ = true;
  std::vector<State> params_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Optimizer, AdamW, "adamw", "1.0.0",
                "AdamW with decoupled weight decay; matches torch.optim.AdamW", kOptions);
