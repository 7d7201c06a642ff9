// Accelerator numbers for progress lines: peak memory and the dense bf16 peak for MFU.
#pragma once

#include <c10/core/Device.h>

namespace socrates {

/// Peak bytes allocated on `device` since the last reset (0 on CPU or without CUDA headers).
double peak_memory_gib(c10::Device device);
void reset_peak_memory(c10::Device device);
/// Dense bf16 tensor-core peak of the device in FLOP/s (0 when unknown, e.g. CPU).
double peak_bf16_flops(c10::Device device);
/// Waits for queued work on `device`.
void synchronize(c10::Device device);

}  // namespace socrates
