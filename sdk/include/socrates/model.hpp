// What an adapter sees of the model: its named linear layers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "socrates/abi.hpp"

namespace socrates {

/// The gradient of the input shared by a group of linear layers (q, k, v; gate, up), which their
/// deltas gather in backward before the host's base backward adds the bases' own through the
/// epilogue of its dX GEMMs (beta = 1): no separate add per layer (ABI 6).
class SOCRATES_API InputGradSlot {
 public:
  virtual ~InputGradSlot() = default;
  /// Undefined until a delta writes it; then x's gradient [N, in], contiguous, in x's dtype,
  /// which a later delta adds into in place. The host takes it (and empties the slot).
  virtual at::Tensor& grad() = 0;
};

/// Extra computation added to a linear layer's output: y = base(x) + delta(x).
class SOCRATES_API LinearDelta {
 public:
  virtual ~LinearDelta() = default;
  /// x: [..., in_features] -> [..., out_features], same dtype as x.
  virtual at::Tensor forward(const at::Tensor& x) = 0;
  /// base_out + forward(x), where base_out is the layer's base output for x. Override to
  /// fuse the add (e.g. into the last GEMM's epilogue). The host calls it with x [N, in] and
  /// base_out [N, out], a tensor of its own that nothing else holds (ABI 5): the delta may
  /// add into base_out in place and return it.
  virtual at::Tensor forward_add(const at::Tensor& x, const at::Tensor& base_out) { return base_out + forward(x); }
  /// As forward_add (same x and base_out), in training: the delta may give x its gradient
  /// through `x_grad` instead of autograd. It must then write the slot in the backward of the
  /// node that passes the returned tensor's gradient on to base_out (the host's base backward
  /// runs after it and reads the slot), and return no gradient for x. The default is
  /// forward_add: the slot stays empty and autograd adds the delta's gradient.
  virtual at::Tensor forward_add_into(const at::Tensor& x, const at::Tensor& base_out, InputGradSlot& x_grad) {
    (void)x_grad;
    return forward_add(x, base_out);
  }
};

/// A replacement for the frozen base computation of a linear layer (e.g. NF4 weights).
class SOCRATES_API LinearBase {
 public:
  virtual ~LinearBase() = default;
  /// x: [..., in_features] -> [..., out_features], bias included. Returns a new tensor (not
  /// a view of state the base keeps): a delta may add into it in place.
  virtual at::Tensor forward(const at::Tensor& x) = 0;
  /// The weight as a dense [out, in] tensor of `dtype` (for merging and export).
  virtual at::Tensor dense_weight(c10::ScalarType dtype) const = 0;
};

/// One linear layer of the decoder, named as in Hugging Face checkpoints without the
/// "model." prefix: "layers.3.self_attn.q_proj", "layers.3.mlp.down_proj".
class SOCRATES_API LinearSite {
 public:
  virtual ~LinearSite() = default;
  virtual const std::string& name() const = 0;
  virtual std::int64_t in_features() const = 0;
  virtual std::int64_t out_features() const = 0;
  /// The frozen dense weight [out, in]; undefined once set_base() replaced it.
  virtual at::Tensor weight() const = 0;
  /// The bias [out], or an undefined tensor.
  virtual at::Tensor bias() const = 0;
  /// Installs (or with nullptr removes) the delta added to this layer's output.
  virtual void set_delta(std::shared_ptr<LinearDelta> delta) = 0;
  /// Replaces the base computation (and frees the dense weight); nullptr is an error.
  virtual void set_base(std::shared_ptr<LinearBase> base) = 0;
  /// Adds `delta_weight` [out, in] into the dense base weight (merging an adapter).
  virtual void merge_weight(const at::Tensor& delta_weight) = 0;
};

/// The model as adapters see it. Deltas and bases installed through it must be removed
/// (or the model destroyed) before the adapter that made them is destroyed.
class SOCRATES_API ModelView {
 public:
  virtual ~ModelView() = default;
  /// "Qwen2ForCausalLM", "LlamaForCausalLM".
  virtual std::string architecture() const = 0;
  /// Every linear layer of the decoder blocks, in layer order.
  virtual std::vector<LinearSite*> linear_sites() = 0;
  virtual c10::ScalarType dtype() const = 0;
  virtual c10::Device device() const = 0;
};

}  // namespace socrates
