#include "lora_add.hpp"

#include <cstdint>
#include <stdexcept>
#include <tuple>

#include <ATen/ops/empty.h>
#include <ATen/ops/empty_like.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/native_dropout.h>
#include <ATen/ops/native_dropout_backward.h>
#include <torch/csrc/autograd/custom_function.h>

#include "seed_dropout.hpp"

namespace lora {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// How this call dropped x: not at all; as at::dropout on the CPU (a kept noise tensor of 0 and
// 1/(1-p), the same draws); a kept 1-byte mask (CUDA, dropout_mask = "keep": native_dropout,
// which at::dropout calls there); or a Philox seed drawn again in backward (CUDA).
enum class Drop : std::int64_t { none, noise, mask, seed };

struct LoraAddFn : torch::autograd::Function<LoraAddFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, at::Tensor base_out, const at::Tensor& a,
                            const at::Tensor& b, LoraAddArgs args, std::int64_t slot) {
    Drop how = Drop::none;
    at::Tensor h = x, mask, u;
    if (args.dropout > 0.0) {
#if SOCRATES_LORA_CUDA
      if (args.redraw && x.is_cuda()) {
        const SeedDropout d = SeedDropout::draw(x, args.dropout, args.fused);
        d.save(ctx);
        u = d.a_product(x, a);
        how = Drop::seed;
      }
#endif
      if (how == Drop::none && x.is_cuda()) {
        std::tie(h, mask) = at::native_dropout(x, args.dropout, /*train=*/true);
        how = Drop::mask;
      } else if (how == Drop::none) {
        mask = at::empty_like(x).bernoulli_(1.0 - args.dropout).div_(1.0 - args.dropout);
        h = x * mask;
        how = Drop::noise;
      }
    }
    if (!u.defined()) u = at::mm(h, a.t());  // [N, r]
    base_out.addmm_(u, b.t(), /*beta=*/1, /*alpha=*/args.scaling);
    ctx->mark_dirty({base_out});
    ctx->save_for_backward({x, a, b, u, mask});
    ctx->saved_data["how"] = static_cast<std::int64_t>(how);
    ctx->saved_data["p"] = args.dropout;
    ctx->saved_data["scaling"] = args.scaling;
    ctx->saved_data["slot"] = slot;
    return base_out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    const at::Tensor &x = saved[0], &a = saved[1], &b = saved[2], &u = saved[3], &mask = saved[4];
    const auto how = static_cast<Drop>(ctx->saved_data["how"].toInt());
    const double p = ctx->saved_data["p"].toDouble(), s = ctx->saved_data["scaling"].toDouble();
    const at::Tensor& g = grads[0];
    // The dropout (or its backward: the same mask and scale) applied to t, kept masks only.
    auto dropped = [&](const at::Tensor& t) -> at::Tensor {
      switch (how) {
        case Drop::none: return t;
        case Drop::noise: return t * mask;
        case Drop::mask: return at::native_dropout_backward(t, mask, 1.0 / (1.0 - p));
        case Drop::seed: break;
      }
      throw std::logic_error("lora: a seed-drawn dropout has no kept mask");
    };
    // As autograd differentiates addmm(base, u, bᵀ, alpha = s) and linear(dropout(x), a), the
    // scaling in the GEMM's epilogue (beta 0: the uninitialised output is not read) rather than
    // in a kernel of its own: the same bits when s is a power of two (alpha / r = 2 in the
    // paper), else one rounding fewer.
    const auto scaled_mm = [s](const at::Tensor& m1, const at::Tensor& m2) {
      return at::empty({m1.size(0), m2.size(1)}, m1.options()).addmm_(m1, m2, /*beta=*/0, /*alpha=*/s);
    };
    const at::Tensor gu = scaled_mm(g, b);
    at::Tensor da, db;
    if (ctx->needs_input_grad(3)) db = scaled_mm(g.t(), u);
#if SOCRATES_LORA_CUDA
    if (how == Drop::seed) {
      const SeedDropout d = SeedDropout::saved(ctx);
      if (ctx->needs_input_grad(2)) da = d.a_grad(gu, x);
      if (ctx->needs_input_grad(0))
        d.x_grad_into(reinterpret_cast<socrates::InputGradSlot*>(ctx->saved_data["slot"].toInt())->grad(), gu, a);
      return {at::Tensor(), g, da, db, at::Tensor(), at::Tensor()};
    }
#endif
    if (ctx->needs_input_grad(2)) da = at::mm(gu.t(), dropped(x));
    if (ctx->needs_input_grad(0)) {
      at::Tensor& sum = reinterpret_cast<socrates::InputGradSlot*>(ctx->saved_data["slot"].toInt())->grad();
      const at::Tensor t = at::mm(gu, a);  // [N, in]
      if (sum.defined())
        sum.add_(dropped(t));
      else
        sum = dropped(t).contiguous();
    }
    return {at::Tensor(), g, da, db, at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor lora_add_into(const at::Tensor& x, const at::Tensor& base_out, const at::Tensor& a, const at::Tensor& b,
                         LoraAddArgs args, socrates::InputGradSlot& slot) {
  if (x.dim() != 2 || base_out.dim() != 2 || x.size(0) != base_out.size(0) || a.size(1) != x.size(1) ||
      b.size(0) != base_out.size(1) || !base_out.is_contiguous())
    throw std::invalid_argument("lora add: x must be [N, in], base_out a contiguous [N, out], A [r, in], B [out, r]");
  return LoraAddFn::apply(x, base_out, a, b, args, reinterpret_cast<std::int64_t>(&slot));
}

}  // namespace lora
