#include "train/device_stats.hpp"

#include <string>

#include <torch/cuda.h>
#if __has_include(<c10/cuda/CUDACachingAllocator.h>) && __has_include(<cuda_runtime_api.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#include <cuda_runtime_api.h>
#define SOCRATES_HAVE_CUDA_STATS 1
#endif

namespace socrates {

double peak_memory_gib(c10::Device device) {
#ifdef SOCRATES_HAVE_CUDA_STATS
  if (device.is_cuda()) {
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.has_index() ? device.index() : 0);
    return static_cast<double>(stats.allocated_bytes[0].peak) / (1024.0 * 1024.0 * 1024.0);
  }
#endif
  (void)device;
  return 0.0;
}

void reset_peak_memory(c10::Device device) {
#ifdef SOCRATES_HAVE_CUDA_STATS
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.has_index() ? device.index() : 0);
#endif
  (void)device;
}

double peak_bf16_flops(c10::Device device) {
#ifdef SOCRATES_HAVE_CUDA_STATS
  if (device.is_cuda()) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, device.has_index() ? device.index() : 0) != cudaSuccess) return 0.0;
    const std::string name = prop.name;
    // Dense bf16 peaks from NVIDIA's data sheets (SXM parts).
    if (name.find("H100") != std::string::npos || name.find("H200") != std::string::npos) return 989e12;
    if (name.find("A100") != std::string::npos) return 312e12;
    if (name.find("B200") != std::string::npos) return 2250e12;
  }
#endif
  (void)device;
  return 0.0;
}

void synchronize(c10::Device device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.has_index() ? device.index() : -1);
}

}  // namespace socrates
