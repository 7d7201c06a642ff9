// base_out + scaling · dropout(x) Aᵀ Bᵀ as one autograd node whose backward hands x's gradient to
// the host's InputGradSlot (LinearDelta::forward_add_into) instead of to autograd: the first
// delta of a group writes the slot, the next ones add into it with the dropout in the same
// pass, and the host's dX GEMMs add the bases' share in their epilogue.
#pragma once

#include <ATen/core/Tensor.h>

#include "socrates/model.hpp"

namespace lora {

struct LoraAddArgs {
  double scaling = 1.0;
  double dropout = 0.0;  // 0: none; else training dropout in (0, 1)
  bool redraw = true;    // CUDA: the mask drawn again in backward (else kept, as on the CPU)
  bool fused = false;    // CUDA with redraw: the dropout inside the GEMMs (dropout_gemm.hpp)
};

/// base_out (returned, added into in place) += scaling · dropout(x) aᵀ bᵀ; x [N, in], a [r, in],
/// b [out, r] and base_out [N, out] contiguous, all of one dtype. Gradients: a and b through
/// autograd, x's into `slot`, base_out's passed on.
at::Tensor lora_add_into(const at::Tensor& x, const at::Tensor& base_out, const at::Tensor& a, const at::Tensor& b,
                         LoraAddArgs args, socrates::InputGradSlot& slot);

}  // namespace lora
