#include "model/chunked_cross_entropy.hpp"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty_like.h>
#include <ATen/ops/full.h>
#include <ATen/ops/mm.h>
#include <ATen/ops/zeros.h>
#include <torch/csrc/autograd/custom_function.h>

#include "socrates/error.hpp"

namespace socrates {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr std::int64_t kChunkBytes = std::int64_t{256} << 20;

std::int64_t chunk_rows(std::int64_t rows, std::int64_t vocab) {
  return rows > 0 ? rows : std::max<std::int64_t>(1, kChunkBytes / (vocab * 4));
}

// Per chunk: logits as the unfused path rounds them (the GEMM in h's dtype, then float32),
// loss = logsumexp - logit of the target; with a gradient, softmax - one-hot in float32,
// rounded to h's dtype as the unfused backward does, times w.
struct LinearCrossEntropyFn : torch::autograd::Function<LinearCrossEntropyFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& h, const at::Tensor& w, const at::Tensor& targets,
                            std::int64_t rows) {
    const std::int64_t n = h.size(0);
    const bool grad = ctx != nullptr;
    at::Tensor loss = at::zeros({}, h.options().dtype(at::kFloat));
    at::Tensor grad_h = grad ? at::empty_like(h) : at::Tensor();
    const at::Tensor wt = w.t();
    for (std::int64_t s = 0; s < n; s += rows) {
      const std::int64_t m = std::min(rows, n - s);
      at::Tensor logits = at::mm(h.narrow(0, s, m), wt).to(at::kFloat);
      at::Tensor t = targets.narrow(0, s, m).unsqueeze(1);
      at::Tensor lse = logits.logsumexp(1, /*keepdim=*/true);
      loss.add_((lse - logits.gather(1, t)).sum());
      if (!grad) continue;
      logits.sub_(lse).exp_();
      logits.scatter_add_(1, t, at::full({m, 1}, -1.0f, logits.options()));
      at::Tensor rows_grad = grad_h.narrow(0, s, m);
      at::mm_out(rows_grad, logits.to(w.scalar_type()), w);
    }
    if (grad) ctx->save_for_backward({grad_h});
    return loss;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    at::Tensor grad_h = ctx->get_saved_variables()[0];
    return {grad_h * grads[0], at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

}  // namespace

at::Tensor chunked_linear_cross_entropy(const at::Tensor& h, const at::Tensor& w, const at::Tensor& targets,
                                        std::int64_t rows) {
  if (w.requires_grad()) throw Error("chunked_linear_cross_entropy: the LM head must be frozen (it gets no gradient)");
  if (h.dim() != 2 || w.dim() != 2 || h.size(1) != w.size(1) || targets.dim() != 1 || targets.size(0) != h.size(0))
    throw Error("chunked_linear_cross_entropy: expects h [N, hidden], w [vocab, hidden] and targets [N]");
  rows = chunk_rows(rows, w.size(0));
  if (at::GradMode::is_enabled() && h.requires_grad()) return LinearCrossEntropyFn::apply(h, w, targets, rows);
  return LinearCrossEntropyFn::forward(nullptr, h, w, targets, rows);
}

}  // namespace socrates
