// Linear layers that read one input, computed as one group: q, k, v; gate, up; or one layer alone.
#pragma once

#include <initializer_list>
#include <vector>

#include <ATen/core/Tensor.h>

#include "model/linear.hpp"

namespace socrates {

/// base_i(x) + delta_i(x) for each layer of `group`, all of input x [..., in]; each [..., out_i].
///
/// With `fused`, in training, one autograd node makes the bases' outputs and, in backward,
/// x's gradient in one buffer: the deltas' gradients first (LinearDelta::forward_add_into),
/// then each base's dX GEMM adds into it (beta = 1), with no separate add per layer or delta.
/// Otherwise (no grad, `fused` off, a base neither dense nor 4-bit, a trainable base weight)
/// each layer is Linear::forward and autograd adds the gradients.
std::vector<at::Tensor> linear_group(std::initializer_list<const Linear*> group, const at::Tensor& x, bool fused);

}  // namespace socrates
