// The frozen base of a linear layer stored in 4 bits (NF4/FP4, bitsandbytes format): QLoRA.
#pragma once

#include <map>
#include <memory>

#include "quant/nf4.hpp"
#include "socrates/model.hpp"

namespace socrates {

/// One dense scratch weight per dtype, shared by every 4-bit layer of a model: a layer
/// dequantises into it right before its GEMM (forward) or its dX GEMM (backward), so no
/// dense copy of more than one layer is ever alive. Single stream, one layer at a time.
class DequantBuffer {
 public:
  /// A contiguous view of `shape` in `dtype` on `device`, reusing the storage when it is big enough.
  at::Tensor take(at::IntArrayRef shape, c10::ScalarType dtype, c10::Device device);

 private:
  std::map<c10::ScalarType, at::Tensor> storage_;  // flat, grows to the largest layer
};

/// While one is alive on this thread, 4-bit layers dequantise each forward's weight into a
/// tensor of its own, which that forward's backward reuses instead of dequantising again.
/// The recompute of a checkpointed layer holds one: its backward, which follows at once,
/// then dequantises nothing, at the cost of one layer's dense weights until it is done.
class KeepDequantized {
 public:
  KeepDequantized();
  ~KeepDequantized();
  KeepDequantized(const KeepDequantized&) = delete;
  KeepDequantized& operator=(const KeepDequantized&) = delete;
  static bool active();

 private:
  bool previous_;
};

class Linear4bit final : public LinearBase {
 public:
  Linear4bit(quant::Nf4Tensor weight, at::Tensor bias, std::shared_ptr<DequantBuffer> buffer);

  /// y = x · dequant(W)ᵀ + b in x's dtype. Backward: dX = dY · dequant(W); W and b are frozen.
  at::Tensor forward(const at::Tensor& x) override;
  at::Tensor dense_weight(c10::ScalarType dtype) const override;

  const quant::Nf4Tensor& quantized() const { return weight_; }
  const at::Tensor& bias() const { return bias_; }
  /// The weight dequantised into the shared buffer (valid until the next layer uses it).
  at::Tensor scratch_weight(c10::ScalarType dtype);
  /// The weight for a forward: a dequantised copy of its own under KeepDequantized (for the
  /// backward to keep), else the scratch weight.
  at::Tensor forward_weight(c10::ScalarType dtype);
  /// How many times this layer dequantised its weight (for tests).
  std::int64_t dequantizations() const { return dequantizations_; }

 private:
  quant::Nf4Tensor weight_;
  at::Tensor bias_;
  std::shared_ptr<DequantBuffer> buffer_;
  std::int64_t dequantizations_ = 0;
};

}  // namespace socrates
