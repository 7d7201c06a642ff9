// Host <-> device copies that do not wait for the GPU. A plain `t.to(cuda)` from pageable
// memory synchronises the stream, so every micro-batch's ids and labels used to stall the
// queue; these stage through pinned memory instead. On CPU they are plain copies.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>
#include <c10/core/Event.h>

namespace socrates {

/// `t` on `device`; a CPU tensor goes to a CUDA device through pinned memory, without a sync.
at::Tensor to_device_async(const at::Tensor& t, c10::Device device);

/// A scalar on the device, copied to the host as soon as the work before it is done; `get`
/// waits for that copy only (the GPU keeps running what was queued after it).
class PendingScalar {
 public:
  explicit PendingScalar(const at::Tensor& scalar);
  double get();

 private:
  at::Tensor host_;
  std::optional<c10::Event> done_;
};

}  // namespace socrates
