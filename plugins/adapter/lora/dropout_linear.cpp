#include "dropout_linear.hpp"

#include <stdexcept>

#include <ATen/ops/linear.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/native_dropout.h>
#include <ATen/ops/native_dropout_backward.h>
#include <torch/csrc/autograd/custom_function.h>

#include "seed_dropout.hpp"
#if SOCRATES_LORA_CUDA
#include "dropout_cuda.hpp"
#endif

namespace lora {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The CPU, and CUDA with dropout_mask = "keep": native_dropout, keeping its 1-byte mask.
struct MaskDropoutLinearFn : torch::autograd::Function<MaskDropoutLinearFn> {
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

#if SOCRATES_LORA_CUDA
// CUDA: the mask is drawn again in backward from the forward's Philox seed and offset.
struct SeedDropoutLinearFn : torch::autograd::Function<SeedDropoutLinearFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& a, double p, bool fused) {
    const SeedDropout d = SeedDropout::draw(x, p, fused);
    d.save(ctx);
    ctx->save_for_backward({x, a});
    return d.a_product(x, a);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &a = saved[1];
    const SeedDropout d = SeedDropout::saved(ctx);
    at::Tensor dx, da;
    if (ctx->needs_input_grad(1)) da = d.a_grad(grads[0], x);
    if (ctx->needs_input_grad(0)) d.x_grad_into(dx, grads[0], a);
    return {dx, da, at::Tensor(), at::Tensor()};
  }
};
#endif

void check(const at::Tensor& x, const at::Tensor& a, double p) {
  if (x.dim() != 2 || a.dim() != 2 || x.size(1) != a.size(1))
    throw std::invalid_argument("lora dropout_linear: x must be [N, in] and A [r, in]");
  if (!(p > 0.0 && p < 1.0)) throw std::invalid_argument("lora dropout_linear: p must be in (0, 1)");
}

}  // namespace

at::Tensor dropout_linear(const at::Tensor& x, const at::Tensor& a, double p, [[maybe_unused]] bool redraw,
                          [[maybe_unused]] bool fused) {
  check(x, a, p);
#if SOCRATES_LORA_CUDA
  if (redraw && x.is_cuda()) return SeedDropoutLinearFn::apply(x, a, p, fused);
#endif
  return MaskDropoutLinearFn::apply(x, a, p);
}

at::Tensor training_dropout(const at::Tensor& x, double p, [[maybe_unused]] bool redraw) {
#if SOCRATES_LORA_CUDA
  if (redraw && x.is_cuda()) return dropout_philox(x, p, draw_philox_seed(x.device()));
#endif
  return std::get<0>(at::native_dropout(x, p, /*train=*/true));
}

}  // namespace lora
