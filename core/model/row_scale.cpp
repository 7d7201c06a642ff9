#include "model/row_scale.hpp"
#include "model/fused_dtype.hpp"

#include <ATen/TensorOperators.h>
#include <torch/csrc/autograd/custom_function.h>

namespace socrates {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// d x = w * d y, as the multiply's own backward; w is frozen (row_scale_fused).
struct RowScaleFn : torch::autograd::Function<RowScaleFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& w) {
    ctx->save_for_backward({w});
    return detail::row_scale_cuda(x, w);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const at::Tensor w = ctx->get_saved_variables()[0];
    return {detail::row_scale_cuda(grads[0].contiguous(), w), at::Tensor()};
  }
};

}  // namespace

bool row_scale_fused(const at::Tensor& x, const at::Tensor& w) {
#if SOCRATES_MODEL_CUDA
  const auto t = x.scalar_type();
  return x.is_cuda() && w.device() == x.device() && w.scalar_type() == t && w.dim() == 1 && x.dim() >= 1 &&
         w.size(0) == x.size(-1) && x.is_contiguous() && w.is_contiguous() && !w.requires_grad() &&
         fused_kernel_dtype(t);
#else
  (void)x;
  (void)w;
  return false;
#endif
}

at::Tensor row_scale(const at::Tensor& x, const at::Tensor& w, bool allow_fused) {
  if (!allow_fused || !row_scale_fused(x, w)) return w * x;
  return RowScaleFn::apply(x, w);
}

}  // namespace socrates
