#include "lora_delta.hpp"

#include <cmath>

#include <ATen/core/Generator.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/dropout.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/matmul.h>

namespace lora {

LoraDelta::LoraDelta(at::Tensor a, at::Tensor b, double scaling, double dropout)
    : a_(std::move(a)), b_(std::move(b)), scaling_(scaling), dropout_(dropout) {}

at::Tensor LoraDelta::forward(const at::Tensor& x) {
  const at::ScalarType dt = a_.scalar_type();
  at::Tensor h = x.scalar_type() == dt ? x : x.to(dt);
  // nn.Dropout(p) when p > 0, else nn.Identity; the default generator, so gradient
  // checkpointing replays the same mask.
  if (training_ && dropout_ > 0.0) h = at::dropout(h, dropout_, /*train=*/true);
  // The scaling on the r-wide intermediate: one pass over tokens x r instead of tokens x out.
  at::Tensor y = at::linear(at::linear(h, a_) * scaling_, b_);
  return y.scalar_type() == x.scalar_type() ? y : y.to(x.scalar_type());
}

at::Tensor LoraDelta::delta_weight() const {
  at::NoGradGuard no_grad;
  return at::matmul(b_.to(at::kFloat), a_.to(at::kFloat)) * scaling_;
}

at::Tensor kaiming_uniform_a(std::int64_t r, std::int64_t in_features, at::Generator& gen) {
  // torch.nn.init.kaiming_uniform_(w, a=sqrt(5)): fan_in mode, leaky_relu gain.
  const double a = std::sqrt(5.0);
  const double gain = std::sqrt(2.0 / (1.0 + a * a));
  const double std_ = gain / std::sqrt(static_cast<double>(in_features));
  const double bound = std::sqrt(3.0) * std_;
  at::NoGradGuard no_grad;
  return at::empty({r, in_features}, at::TensorOptions().dtype(at::kFloat)).uniform_(-bound, bound, gen);
}

}  // namespace lora
