// The LoRA update of one linear layer: delta(x) = B(A(dropout(x))) * scaling, as PEFT's
// lora.Linear computes it (x cast to the adapter's dtype, the result cast back to x's).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include <ATen/core/Tensor.h>

#include "cast_group.hpp"
#include "socrates/model.hpp"

namespace lora {

class LoraDelta final : public socrates::LinearDelta {
 public:
  /// a: [r, in], b: [out, r], both trainable; `dropout` in [0, 1). `in_input_dtype`: compute
  /// with A and B cast to x's dtype (as under autocast) instead of x cast to theirs.
  /// `redraw_mask`: on CUDA, dropout keeps nothing for backward (dropout_linear); `fused_dropout`:
  /// then the dropout runs inside the A product's GEMMs (seed_dropout.hpp). `casts`: the
  /// group A and B join for those casts (one per adapter, so that all are cast together); null:
  /// a group of their own.
  LoraDelta(at::Tensor a, at::Tensor b, double scaling, double dropout, bool in_input_dtype = false,
            bool redraw_mask = true, bool fused_dropout = false, std::shared_ptr<CastGroup> casts = nullptr);

  at::Tensor forward(const at::Tensor& x) override;
  /// base_out + delta(x), the B product and the scaling fused into one addmm when the
  /// dtypes allow.
  at::Tensor forward_add(const at::Tensor& x, const at::Tensor& base_out) override;
  /// forward_add whose backward adds x's gradient into `x_grad` (lora_add_into), in training
  /// with x, A, B and base_out of one dtype; otherwise forward_add.
  at::Tensor forward_add_into(const at::Tensor& x, const at::Tensor& base_out, socrates::InputGradSlot& x_grad) override;

  /// Dropout on (training) or off (evaluation).
  void set_training(bool on) { training_ = on; }
  bool training() const { return training_; }

  /// (B @ A) * scaling as a float32 [out, in] tensor, without gradient (for merging).
  at::Tensor delta_weight() const;

 private:
  at::Tensor a_, b_;
  std::shared_ptr<CastGroup> casts_;  // A and B in the input's dtype (in_input_dtype)
  std::size_t a_cast_, b_cast_;
  double scaling_;
  double dropout_;
  bool in_input_dtype_;
  bool redraw_mask_;
  bool fused_dropout_;
  bool training_ = false;

  /// The compute dtype for input x, and dropout(x) in it.
  at::ScalarType compute_dtype(const at::Tensor& x) const;
  at::Tensor dropped(const at::Tensor& x, at::ScalarType dt) const;
  /// dropout(x) Aᵀ in the compute dtype.
  at::Tensor a_product(const at::Tensor& x, at::ScalarType dt);
  /// A and B in the compute dtype.
  at::Tensor a_in(at::ScalarType dt);
  at::Tensor b_in(at::ScalarType dt);
  static at::Tensor as(const at::Tensor& t, at::ScalarType dt) { return t.scalar_type() == dt ? t : t.to(dt); }
};

/// A [r, in_features] initialised like PEFT (kaiming_uniform_ with a = sqrt(5), i.e.
/// U(-1/sqrt(in), 1/sqrt(in))), drawn in float32 from `gen` on the CPU.
at::Tensor kaiming_uniform_a(std::int64_t r, std::int64_t in_features, at::Generator& gen);

}  // namespace lora
