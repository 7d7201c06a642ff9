// A trainable parameter's copy in another dtype, made once and reused until a backward pass
// has gone through it or the parameter changed in place (autocast's weight cache, for LoRA
// computed in the input's dtype). The copy's gradient is added, in the parameter's dtype, to
// the parameter's, as the cast's own backward would.
#pragma once

#include <cstdint>
#include <memory>

#include <ATen/core/Tensor.h>

namespace lora {

class CastCopy {
 public:
  explicit CastCopy(at::Tensor param) : param_(std::move(param)) {}

  /// The parameter in `dt` (the parameter itself when it has that dtype).
  const at::Tensor& get(at::ScalarType dt);

 private:
  at::Tensor param_, copy_;
  std::int64_t version_ = -1;
  // Set by the copy's gradient hook: after a backward the optimizer may write the parameter
  // without bumping its version (raw kernels, collective broadcasts), so the copy is stale.
  std::shared_ptr<bool> used_;
};

}  // namespace lora
