// linear(dropout(x), A) for the LoRA A product, keeping for backward neither the dropped copy
// of x nor, on CUDA, the mask: backward draws the mask again from the forward's Philox seed
// and offset (dropout_cuda.cu) and makes the dropped x again from x, which the layer keeps
// anyway. The CPU keeps native_dropout's 1-byte mask. For Qwen2.5-7B at 16 x 256 tokens the
// seven LoRA inputs of a layer would otherwise keep 0.33 GB (dropped bf16 copies) or 0.17 GB
// (masks) per layer, memory that `checkpoint_layers` can spend on layers not recomputed.
#pragma once

#include <ATen/core/Tensor.h>

namespace lora {

/// linear(dropout(x, p), a) with dropout in training mode (0 < p < 1), x [N, in], a [r, in];
/// the gradients are those of the unfused ops with the same mask. `redraw`: on CUDA, keep no
/// mask and draw it again in backward (else native_dropout's mask is kept, as on the CPU);
/// `fused`: then with the dropout inside the GEMMs where they take x (seed_dropout.hpp).
at::Tensor dropout_linear(const at::Tensor& x, const at::Tensor& a, double p, bool redraw = true, bool fused = false);

/// Dropout in training mode with the mask dropout_linear (with the same `redraw`) draws from the
/// same generator state: on CUDA with redraw the seed-drawn mask, else at::native_dropout's.
at::Tensor training_dropout(const at::Tensor& x, double p, bool redraw = true);

}  // namespace lora
