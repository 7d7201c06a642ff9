#include "lora_delta.hpp"

#include <cmath>
#include <vector>

#include <ATen/core/Generator.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/addmm.h>
#include <ATen/ops/dropout.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/matmul.h>

#include "dropout_linear.hpp"
#include "lora_add.hpp"

namespace lora {

LoraDelta::LoraDelta(at::Tensor a, at::Tensor b, double scaling, double dropout, bool in_input_dtype,
                     bool redraw_mask, bool fused_dropout, std::shared_ptr<CastGroup> casts)
    : a_(std::move(a)),
      b_(std::move(b)),
      casts_(casts ? std::move(casts) : std::make_shared<CastGroup>()),
      a_cast_(casts_->add(a_)),
      b_cast_(casts_->add(b_)),
      scaling_(scaling),
      dropout_(dropout),
      in_input_dtype_(in_input_dtype),
      redraw_mask_(redraw_mask),
      fused_dropout_(fused_dropout) {}

// In the input's dtype, one cached copy per step instead of a cast per call (forward and
// recompute) and one per backward, made for the whole adapter at once.
at::Tensor LoraDelta::a_in(at::ScalarType dt) { return in_input_dtype_ ? casts_->get(a_cast_, dt) : a_; }
at::Tensor LoraDelta::b_in(at::ScalarType dt) { return in_input_dtype_ ? casts_->get(b_cast_, dt) : b_; }

at::ScalarType LoraDelta::compute_dtype(const at::Tensor& x) const {
  return in_input_dtype_ ? x.scalar_type() : a_.scalar_type();
}

at::Tensor LoraDelta::dropped(const at::Tensor& x, at::ScalarType dt) const {
  at::Tensor h = as(x, dt);
  // nn.Dropout(p) when p > 0, else nn.Identity; the default generator, so gradient
  // checkpointing replays the same mask. (CUDA in training goes through dropout_linear.)
  if (training_ && dropout_ > 0.0) h = at::dropout(h, dropout_, /*train=*/true);
  return h;
}

// dropout(x) A^T. On CUDA in training the dropped copy of x is not kept for backward, nor the
// mask unless `dropout_mask = "keep"` (dropout_linear); with or without grad mode it draws the
// same mask, so gradient checkpointing's recompute replays its first pass. The CPU keeps
// at::dropout.
at::Tensor LoraDelta::a_product(const at::Tensor& x, at::ScalarType dt) {
  if (training_ && dropout_ > 0.0 && x.is_cuda()) {
    const at::Tensor u = dropout_linear(as(x, dt).reshape({-1, x.size(-1)}), a_in(dt), dropout_, redraw_mask_,
                                        fused_dropout_);
    std::vector<std::int64_t> shape = x.sizes().vec();
    shape.back() = u.size(-1);
    return u.view(shape);
  }
  return at::linear(dropped(x, dt), a_in(dt));
}

at::Tensor LoraDelta::forward(const at::Tensor& x) {
  const at::ScalarType dt = compute_dtype(x);
  // The scaling on the r-wide intermediate: one pass over tokens x r instead of tokens x out.
  at::Tensor y = at::linear(a_product(x, dt) * scaling_, b_in(dt));
  return as(y, x.scalar_type());
}

at::Tensor LoraDelta::forward_add(const at::Tensor& x, const at::Tensor& base_out) {
  const at::ScalarType dt = compute_dtype(x);
  if (base_out.scalar_type() != dt) return base_out + forward(x);
  // base_out + scaling * (h A^T) B^T as one GEMM whose epilogue reads base_out; in place
  // when the host hands over a 2-D output (ABI 5), which saves a copy of it.
  const at::Tensor u = a_product(x, dt);
  if (base_out.dim() == 2 && u.dim() == 2 && base_out.is_contiguous())
    return base_out.addmm_(u, b_in(dt).t(), /*beta=*/1, /*alpha=*/scaling_);
  const at::Tensor y = at::addmm(base_out.reshape({-1, base_out.size(-1)}), u.reshape({-1, u.size(-1)}),
                                 b_in(dt).t(), /*beta=*/1, /*alpha=*/scaling_);
  return y.view(base_out.sizes());
}

at::Tensor LoraDelta::forward_add_into(const at::Tensor& x, const at::Tensor& base_out,
                                       socrates::InputGradSlot& x_grad) {
  const at::ScalarType dt = compute_dtype(x);
  if (!at::GradMode::is_enabled() || x.scalar_type() != dt || base_out.scalar_type() != dt || x.dim() != 2 ||
      base_out.dim() != 2 || !base_out.is_contiguous())
    return forward_add(x, base_out);
  return lora_add_into(x, base_out, a_in(dt), b_in(dt), {scaling_, training_ ? dropout_ : 0.0, redraw_mask_, fused_dropout_},
                       x_grad);
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
