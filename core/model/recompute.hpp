// Gradient checkpointing: run a decoder layer without keeping its activations and
// recompute it (with the same RNG state, so dropout matches) during backward.
#pragma once

#include <ATen/core/Tensor.h>

namespace socrates {

class CausalLM;

/// Layer `i` of `model` on x; identical result and gradients to model.layer_forward().
at::Tensor checkpointed_layer(const CausalLM& model, std::size_t i, const at::Tensor& x, const at::Tensor& cos,
                              const at::Tensor& sin, const at::Tensor& mask);

}  // namespace socrates
