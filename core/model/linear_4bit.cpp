#include "model/linear_4bit.hpp"

#include <ATen/ops/empty.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/matmul.h>
#include <torch/csrc/autograd/custom_function.h>

#include "socrates/error.hpp"

namespace socrates {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The layer outlives every graph built through it (the model owns it), so the backward
// finds it again through its address, as the recompute function finds the model.
struct Linear4bitFn : torch::autograd::Function<Linear4bitFn> {
  static at::Tensor forward(AutogradContext* ctx, std::int64_t layer_ptr, at::Tensor x) {
    auto* layer = reinterpret_cast<Linear4bit*>(layer_ptr);
    ctx->saved_data["layer"] = layer_ptr;
    ctx->saved_data["dtype"] = static_cast<std::int64_t>(x.scalar_type());
    const at::Tensor w = layer->forward_weight(x.scalar_type());
    if (KeepDequantized::active()) ctx->saved_data["weight"] = w;
    return at::linear(x, w, layer->bias());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto* layer = reinterpret_cast<Linear4bit*>(ctx->saved_data["layer"].toInt());
    const auto dtype = static_cast<c10::ScalarType>(ctx->saved_data["dtype"].toInt());
    const auto kept = ctx->saved_data.find("weight");
    return {at::Tensor(),
            at::matmul(grads[0], kept != ctx->saved_data.end() ? kept->second.toTensor() : layer->scratch_weight(dtype))};
  }
};

thread_local bool keep_dequantized = false;

}  // namespace

KeepDequantized::KeepDequantized() : previous_(keep_dequantized) { keep_dequantized = true; }
KeepDequantized::~KeepDequantized() { keep_dequantized = previous_; }
bool KeepDequantized::active() { return keep_dequantized; }

at::Tensor DequantBuffer::take(at::IntArrayRef shape, c10::ScalarType dtype, c10::Device device) {
  std::int64_t n = 1;
  for (std::int64_t d : shape) n *= d;
  at::Tensor& s = storage_[dtype];
  if (!s.defined() || s.numel() < n || s.device() != device)
    s = at::empty({n}, at::TensorOptions().dtype(dtype).device(device));
  return s.narrow(0, 0, n).view(shape);
}

Linear4bit::Linear4bit(quant::Nf4Tensor weight, at::Tensor bias, std::shared_ptr<DequantBuffer> buffer)
    : weight_(std::move(weight)), bias_(std::move(bias)), buffer_(std::move(buffer)) {
  if (weight_.shape.size() != 2) throw Error("Linear4bit: the quantised weight must be 2-D [out, in]");
  if (!buffer_) buffer_ = std::make_shared<DequantBuffer>();
}

at::Tensor Linear4bit::scratch_weight(c10::ScalarType dtype) {
  at::Tensor w = buffer_->take(weight_.shape, dtype, weight_.device());
  quant::dequantize_into(weight_, w);
  ++dequantizations_;
  return w;
}

at::Tensor Linear4bit::forward_weight(c10::ScalarType dtype) {
  if (!KeepDequantized::active()) return scratch_weight(dtype);
  ++dequantizations_;
  return quant::dequantize(weight_, dtype);
}

at::Tensor Linear4bit::forward(const at::Tensor& x) {
  if (x.size(-1) != weight_.shape[1])
    throw Error("Linear4bit: input has " + std::to_string(x.size(-1)) + " features, the weight expects " +
                std::to_string(weight_.shape[1]));
  return Linear4bitFn::apply(reinterpret_cast<std::int64_t>(this), x);
}

at::Tensor Linear4bit::dense_weight(c10::ScalarType dtype) const { return quant::dequantize(weight_, dtype); }

}  // namespace socrates
