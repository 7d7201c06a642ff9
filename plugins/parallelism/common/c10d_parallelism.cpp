#include "c10d_parallelism.hpp"

#include <cmath>

#include <ATen/core/grad_mode.h>
#include <ATen/ops/_foreach_mul.h>
#include <ATen/ops/_foreach_norm.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/zeros.h>

namespace socrates::dist {

C10dParallelism::C10dParallelism(const PluginContext& ctx, const char* plugin) : logger_(ctx.logger) {
  opts_.rank = ctx.rank;
  opts_.world_size = ctx.world_size;
  opts_.device = ctx.device;
  opts_.plugin = plugin;
  opts_.backend = ctx.config.get<std::string>("backend");
  const double timeout = ctx.config.get<double>("timeout_s");
  if (!(timeout > 0)) throw ctx.config.error("timeout_s", "must be > 0");
  opts_.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(timeout * 1000));
  const double mb = ctx.config.get<double>("bucket_mb");
  if (!(mb > 0)) throw ctx.config.error("bucket_mb", "must be > 0");
  bucket_bytes_ = static_cast<std::int64_t>(mb * (1 << 20));
  if (opts_.backend == "nccl" && !ctx.device.is_cuda())
    throw ctx.config.error("backend", "\"nccl\" needs [run] device = \"cuda\"; on CPU use \"gloo\" or \"auto\"");
  if (ctx.world_size < 1 || ctx.rank < 0 || ctx.rank >= ctx.world_size)
    throw Error("[parallelism] " + std::string(plugin) + ": RANK=" + std::to_string(ctx.rank) +
                " is not in [0, WORLD_SIZE=" + std::to_string(ctx.world_size) + ")");
}

Comm& C10dParallelism::comm() {
  if (!comm_) {
    comm_ = std::make_unique<Comm>(opts_);
    if (opts_.rank == 0)
      logger_->info("{}: {} ranks connected over {}", opts_.plugin, opts_.world_size, comm_->backend_name());
  }
  return *comm_;
}

void C10dParallelism::all_reduce_sum(at::Tensor& t) {
  at::Tensor c = t.to(opts_.device).contiguous();
  comm().all_reduce_sum(c, "all_reduce_sum");
  if (!c.is_same(t)) t.copy_(c);
}

void C10dParallelism::barrier() { comm().barrier(); }

double C10dParallelism::clip_owned(double max_norm, const std::vector<NamedTensor>& scaled) {
  at::NoGradGuard no_grad;
  // The owned gradients' norms in one multi-tensor kernel, squared and summed in double (as
  // single does), instead of a double copy of every gradient.
  std::vector<at::Tensor> owned;
  for (std::size_t i = 0; i < params_.size(); ++i) {
    if (owner_[i] != opts_.rank) continue;
    const at::Tensor& g = params_[i].second.grad();
    if (g.defined()) owned.push_back(g);
  }
  at::Tensor sq = owned.empty() ? at::zeros({1}, at::TensorOptions().dtype(at::kDouble).device(opts_.device))
                                : at::stack(at::_foreach_norm(owned, 2)).to(at::kDouble).square().sum().view({1});
  comm().all_reduce_sum(sq, "gradient norm");
  const at::Tensor norm = sq.sqrt().reshape({});
  // min(1, max_norm / (norm + 1e-6)) on the device, queued before the norm is read: one
  // multi-tensor kernel, and the device does not wait for the host in between.
  if (max_norm > 0) {
    std::vector<at::Tensor> grads;
    for (const auto& [name, p] : scaled)
      if (p.grad().defined()) grads.push_back(p.grad());
    if (!grads.empty()) at::_foreach_mul_(grads, (max_norm / (norm + 1e-6)).clamp_max(1.0).to(at::kFloat));
  }
  return norm.item<double>();
}

}  // namespace socrates::dist
