#include "model/linear.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/linear.h>

#include "socrates/error.hpp"

namespace socrates {

Linear::Linear(std::string name, at::Tensor weight, at::Tensor bias)
    : name_(std::move(name)), in_(weight.size(1)), out_(weight.size(0)), weight_(std::move(weight)), bias_(std::move(bias)) {}

Linear::Linear(std::string name, std::int64_t out, std::int64_t in, at::Tensor bias, std::shared_ptr<LinearBase> base)
    : name_(std::move(name)), in_(in), out_(out), bias_(std::move(bias)) {
  set_base(std::move(base));
}

// Two-dimensional inside: a delta then adds into the base output in place (lora: the B
// product's addmm, beta = 1), with no view for autograd to track.
at::Tensor Linear::forward(const at::Tensor& x) const {
  const at::Tensor x2 = x.dim() == 2 ? x : x.reshape({-1, in_});
  at::Tensor y = base_ ? base_->forward(x2) : at::linear(x2, weight_, bias_);
  if (delta_) y = delta_->forward_add(x2, y);
  if (x.dim() == 2) return y;
  std::vector<std::int64_t> sizes = x.sizes().vec();
  sizes.back() = out_;
  return y.view(sizes);
}

void Linear::set_base(std::shared_ptr<LinearBase> base) {
  if (!base) throw Error(name_ + ": set_base(nullptr) is not allowed");
  base_ = std::move(base);
  weight_ = at::Tensor();
}

void Linear::merge_weight(const at::Tensor& delta_weight) {
  if (!weight_.defined()) {
    // A quantised base is dequantised first: the merged layer is dense.
    weight_ = base_->dense_weight(delta_weight.scalar_type());
    base_.reset();
  }
  if (delta_weight.sizes() != weight_.sizes()) {
    throw Error(name_ + ": merge weight has shape " + c10::str(delta_weight.sizes()) + ", expected " +
                c10::str(weight_.sizes()));
  }
  at::NoGradGuard g;
  weight_.add_(delta_weight.to(weight_.scalar_type()));
}

void Linear::set_weight(at::Tensor w) {
  if (w.dim() != 2 || w.size(0) != out_ || w.size(1) != in_) {
    throw Error(name_ + ".weight has shape " + c10::str(w.sizes()) + ", expected [" + std::to_string(out_) + ", " +
                std::to_string(in_) + "]");
  }
  weight_ = std::move(w);
}

void Linear::set_bias(at::Tensor b) {
  if (b.dim() != 1 || b.size(0) != out_) {
    throw Error(name_ + ".bias has shape " + c10::str(b.sizes()) + ", expected [" + std::to_string(out_) + "]");
  }
  bias_ = std::move(b);
}

}  // namespace socrates
