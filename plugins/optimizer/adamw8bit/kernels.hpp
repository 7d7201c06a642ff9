// bitsandbytes AdamW8bit arithmetic: blockwise (256) dynamic-map quantised moments, the
// update order of csrc kOptimizerStatic8bit2StateBlockwise / kOptimizer32bit2State.
#pragma once

#include <cstdint>
#include <vector>

#include <ATen/core/Tensor.h>

namespace adamw8bit {

constexpr std::int64_t kBlock = 256;

struct Hyper {
  float beta1, beta2, eps, lr, weight_decay;
};

/// bitsandbytes.functional.create_dynamic_map(signed) as float32 [256] CPU values.
const std::vector<float>& dynamic_map(bool signed_map);

/// One parameter's state. 8-bit: state1/state2 uint8 (param's shape), absmax1/absmax2 float32
/// [blocks]. 32-bit: state1/state2 float32, absmax undefined.
struct ParamState {
  at::Tensor param, grad;  // grad: contiguous, param's dtype
  at::Tensor state1, state2, absmax1, absmax2;
  std::int64_t step = 0;  // already incremented for this update
};

void cpu_step(ParamState& s, const Hyper& h);

#ifdef SOCRATES_ADAMW8BIT_CUDA
/// Updates every state (all on the same CUDA device) with a few multi-tensor launches and no
/// host synchronisation. qmap1/qmap2: the dynamic maps on that device.
void cuda_step(std::vector<ParamState*>& states, const at::Tensor& qmap1, const at::Tensor& qmap2, const Hyper& h);
#endif

}  // namespace adamw8bit
