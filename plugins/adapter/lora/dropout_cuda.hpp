// Dropout on CUDA whose mask is drawn again from two numbers instead of kept (dropout_cuda.cu).
#pragma once

#include <cstdint>

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

namespace lora {

/// The Philox seed and offset of one dropout call: its whole mask.
struct PhiloxSeed {
  std::uint64_t seed = 0;
  std::uint64_t offset = 0;
};

/// Takes one draw from the device's default generator (so manual_seed and gradient
/// checkpointing's saved generator state replay it).
PhiloxSeed draw_philox_seed(c10::Device device);

/// x * keep / (1 - p) with keep[i] a function of (s, i) alone, true with probability
/// round(65536 (1 - p)) / 65536 (philox_dropout.cuh): the same s on a tensor of the same size
/// gives the same mask. x on CUDA, float32/bfloat16/float16.
at::Tensor dropout_philox(const at::Tensor& x, double p, PhiloxSeed s);

/// acc += dropout_philox(x, p, s) in one pass, rounded as at::add of the dropped tensor; acc
/// contiguous, of x's shape, dtype and device.
void dropout_philox_add_(at::Tensor& acc, const at::Tensor& x, double p, PhiloxSeed s);

}  // namespace lora
