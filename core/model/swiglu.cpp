#include "model/swiglu.hpp"
#include "model/fused_dtype.hpp"

#include <ATen/TensorOperators.h>
#include <ATen/ops/silu.h>
#include <torch/csrc/autograd/custom_function.h>

namespace socrates {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Keeps gate and up for backward (the unfused path keeps silu(gate) as well).
struct SwiGluFn : torch::autograd::Function<SwiGluFn> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& gate, const at::Tensor& up) {
    ctx->save_for_backward({gate, up});
    return detail::swiglu_forward_cuda(gate, up);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    auto [dgate, dup] = detail::swiglu_backward_cuda(grads[0].contiguous(), saved[0], saved[1]);
    return {dgate, dup};
  }
};

}  // namespace

bool swiglu_fused(const at::Tensor& gate, const at::Tensor& up) {
#if SOCRATES_MODEL_CUDA
  const auto t = gate.scalar_type();
  return gate.is_cuda() && up.device() == gate.device() && up.scalar_type() == t && gate.sizes() == up.sizes() &&
         gate.is_contiguous() && up.is_contiguous() && fused_kernel_dtype(t);
#else
  (void)gate;
  (void)up;
  return false;
#endif
}

at::Tensor swiglu(const at::Tensor& gate, const at::Tensor& up, bool allow_fused) {
  if (!allow_fused || !swiglu_fused(gate, up)) return at::silu(gate) * up;
  return SwiGluFn::apply(gate, up);
}

}  // namespace socrates
