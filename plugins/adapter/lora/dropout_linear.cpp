#include "dropout_linear.hpp"

#include <ATen/ops/linear.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/native_dropout.h>
#include <ATen/ops/native_dropout_backward.h>
#include <torch/csrc/autograd/custom_function.h>

namespace lora {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct DropoutLinearFn : torch::autograd::Function<DropoutLinearFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& a, double p) {
    auto [h, mask] = at::native_dropout(x, p, /*train=*/true);
    ctx->save_for_backward({x, mask, a});
    ctx->saved_data["scale"] = 1.0 / (1.0 - p);
    return at::linear(h, a);
  }

  // As autograd would: d a = gᵀ · h and d x = dropout_backward(g · a), with h made again.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &mask = saved[1], &a = saved[2];
    const double scale = ctx->saved_data["scale"].toDouble();
    const at::Tensor& g = grads[0];
    at::Tensor dx, da;
    if (ctx->needs_input_grad(1)) da = g.t().mm(at::native_dropout_backward(x, mask, scale));
    if (ctx->needs_input_grad(0)) dx = at::native_dropout_backward(g.mm(a), mask, scale);
    return {dx, da, at::Tensor()};
  }
};

}  // namespace

at::Tensor dropout_linear(const at::Tensor& x, const at::Tensor& a, double p) {
  return DropoutLinearFn::apply(x, a, p);
}

}  // namespace lora
