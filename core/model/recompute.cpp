#include "model/recompute.hpp"

#include <ATen/Context.h>
#include <ATen/ops/empty.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include "model/causal_lm.hpp"
#include "model/linear_4bit.hpp"

namespace socrates {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// RNG states of the generators a layer may draw from (dropout in adapters).
std::vector<at::Tensor> rng_states(c10::Device device) {
  std::vector<at::Tensor> s{at::detail::getDefaultCPUGenerator().get_state()};
  if (device.is_cuda()) s.push_back(at::globalContext().defaultGenerator(device).get_state());
  return s;
}
void set_rng_states(c10::Device device, const std::vector<at::Tensor>& s) {
  at::Generator cpu = at::detail::getDefaultCPUGenerator();
  cpu.set_state(s[0]);
  if (device.is_cuda()) {
    at::Generator dev = at::globalContext().defaultGenerator(device);
    dev.set_state(s[1]);
  }
}

struct CheckpointFn : torch::autograd::Function<CheckpointFn> {
  static at::Tensor forward(AutogradContext* ctx, std::int64_t model_ptr, std::int64_t index, at::Tensor x,
                            at::Tensor cos, at::Tensor sin, at::Tensor mask) {
    const auto* model = reinterpret_cast<const CausalLM*>(model_ptr);
    ctx->saved_data["model"] = model_ptr;
    ctx->saved_data["index"] = index;
    const bool has_mask = mask.numel() > 0;
    ctx->saved_data["has_mask"] = has_mask;
    auto rng = rng_states(x.device());
    ctx->saved_data["rng_cpu"] = rng[0];
    if (rng.size() > 1) ctx->saved_data["rng_dev"] = rng[1];
    ctx->save_for_backward({x, cos, sin, mask});
    return model->layer_forward(static_cast<std::size_t>(index), x, cos, sin, has_mask ? mask : at::Tensor(), nullptr);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto* model = reinterpret_cast<const CausalLM*>(ctx->saved_data["model"].toInt());
    const auto index = static_cast<std::size_t>(ctx->saved_data["index"].toInt());
    auto saved = ctx->get_saved_variables();
    at::Tensor x = saved[0].detach().requires_grad_(true);
    at::Tensor mask = ctx->saved_data["has_mask"].toBool() ? saved[3] : at::Tensor();

    std::vector<at::Tensor> rng{ctx->saved_data["rng_cpu"].toTensor()};
    if (ctx->saved_data.count("rng_dev")) rng.push_back(ctx->saved_data["rng_dev"].toTensor());
    const auto now = rng_states(x.device());
    set_rng_states(x.device(), rng);
    at::Tensor y;
    {
      at::AutoGradMode enable(true);
      KeepDequantized keep;  // this layer's backward follows at once: no second dequantisation
      y = model->layer_forward(index, x, saved[1], saved[2], mask, nullptr);
    }
    set_rng_states(x.device(), now);
    torch::autograd::backward({y}, {grads[0]});
    return {at::Tensor(), at::Tensor(), x.grad(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor checkpointed_layer(const CausalLM& model, std::size_t i, const at::Tensor& x, const at::Tensor& cos,
                              const at::Tensor& sin, const at::Tensor& mask) {
  // Function::apply cannot take undefined tensors: an empty one stands for "no mask".
  return CheckpointFn::apply(reinterpret_cast<std::int64_t>(&model), static_cast<std::int64_t>(i), x, cos, sin,
                             mask.defined() ? mask : at::empty({0}, x.options().dtype(at::kBool)));
}

}  // namespace socrates
