// linear through a dequantised 4-bit weight: the reference the fused kernels are checked against.
#include <ATen/ops/linear.h>

#include "quant/nf4.hpp"
#include "socrates/error.hpp"

namespace socrates::quant {

at::Tensor linear_4bit(const at::Tensor& x, const Nf4Tensor& w, const std::optional<at::Tensor>& bias,
                       at::Tensor* buffer) {
  if (w.shape.size() != 2) throw Error("linear_4bit: the quantised weight must be 2-D [out, in]");
  if (x.dim() < 1 || x.size(-1) != w.shape[1])
    throw Error("linear_4bit: input has " + std::to_string(x.dim() ? x.size(-1) : 0) + " features, the weight expects " +
                std::to_string(w.shape[1]));
  at::Tensor weight;
  if (buffer && buffer->defined() && buffer->scalar_type() == x.scalar_type()) {
    dequantize_into(w, *buffer);
    weight = *buffer;
  } else {
    weight = dequantize(w, x.scalar_type());
    if (buffer) *buffer = weight;
  }
  return at::linear(x, weight, bias.has_value() ? *bias : at::Tensor());
}

}  // namespace socrates::quant
