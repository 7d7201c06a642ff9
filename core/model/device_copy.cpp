#include "model/device_copy.hpp"

#include <ATen/ops/empty.h>
#include <c10/core/impl/VirtualGuardImpl.h>

namespace socrates {

at::Tensor to_device_async(const at::Tensor& t, c10::Device device) {
  if (t.device() == device) return t;
  if (device.is_cuda() && t.is_cpu()) return (t.is_pinned() ? t : t.pin_memory()).to(device, /*non_blocking=*/true);
  return t.to(device);
}

PendingScalar::PendingScalar(const at::Tensor& scalar) {
  const at::Tensor d = scalar.detach().to(at::kDouble);
  if (!d.is_cuda()) {
    host_ = d.cpu();
    return;
  }
  host_ = at::empty({}, at::TensorOptions().dtype(at::kDouble).pinned_memory(true));
  host_.copy_(d, /*non_blocking=*/true);
  const c10::impl::VirtualGuardImpl impl(d.device().type());
  done_.emplace(d.device().type());
  done_->record(impl.getStream(d.device()));
}

double PendingScalar::get() {
  if (done_) done_->synchronize();
  return host_.item<double>();
}

}  // namespace socrates
