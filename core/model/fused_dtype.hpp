// The dtypes the model's fused CUDA kernels take (cuda_launch.cuh's dispatch_floating).
#pragma once

#include <c10/core/ScalarType.h>

namespace socrates {

inline bool fused_kernel_dtype(at::ScalarType t) { return t == at::kFloat || t == at::kBFloat16 || t == at::kHalf; }

}  // namespace socrates
