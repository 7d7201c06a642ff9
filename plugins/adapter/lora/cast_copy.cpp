#include "cast_copy.hpp"

#include <ATen/core/grad_mode.h>

namespace lora {

const at::Tensor& CastCopy::get(at::ScalarType dt) {
  if (param_.scalar_type() == dt) return param_;
  if (copy_.defined() && copy_.scalar_type() == dt && !*used_ && version_ == param_._version()) return copy_;
  at::NoGradGuard no_grad;
  copy_ = param_.detach().to(dt);
  version_ = param_._version();
  used_ = std::make_shared<bool>(false);
  if (param_.requires_grad()) {
    copy_.requires_grad_(true);
    copy_.register_hook([master = param_, used = used_](const at::Tensor& g) {
      *used = true;
      at::NoGradGuard inner;
      at::Tensor g_master = g.to(master.scalar_type());
      if (master.grad().defined()) {
        master.mutable_grad().add_(g_master);
      } else {
        master.mutable_grad() = g_master;
      }
    });
  }
  return copy_;
}

}  // namespace lora
