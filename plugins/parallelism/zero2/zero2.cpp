// ZeRO-2: every trainable tensor is owned by one rank (balanced by size). At the last
// micro-batch of a step the gradients are reduce-scattered so that each rank receives the
// summed gradients of its own tensors only; it frees the others. The optimizer gets only the
// owned tensors, under their real names, so its state is 1/world of the whole. After the
// step each rank's updated tensors are all-gathered into every rank's model.
//
// Layout: segment r = the tensors rank r owns, in the adapter's order, flattened (float32)
// and padded to the longest segment S; the collectives move chunks of about bucket_mb of
// every segment at once.
#include <algorithm>

#include <ATen/core/grad_mode.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/zeros.h>

#include "c10d_parallelism.hpp"
#include "owners.hpp"

namespace {

const socrates_option kOptions[] = {SOCRATES_C10D_OPTIONS};

class Zero2 final : public socrates::dist::C10dParallelism {
 public:
  explicit Zero2(const socrates::PluginContext& ctx) : C10dParallelism(ctx, "zero2") {}

  std::vector<socrates::NamedTensor> setup(std::vector<socrates::NamedTensor> params) override {
    params_ = params;
    const int world = world_size();
    owner_ = socrates::dist::assign_owners(params_, world);
    offset_.assign(params_.size(), 0);
    std::vector<std::int64_t> seg(static_cast<std::size_t>(world), 0);
    std::vector<socrates::NamedTensor> mine;
    for (std::size_t i = 0; i < params_.size(); ++i) {
      offset_[i] = seg[static_cast<std::size_t>(owner_[i])];
      seg[static_cast<std::size_t>(owner_[i])] += params_[i].second.numel();
      if (owner_[i] == rank()) mine.push_back(params_[i]);
    }
    seg_ = std::max<std::int64_t>(1, *std::max_element(seg.begin(), seg.end()));
    chunk_ = std::clamp<std::int64_t>(bucket_bytes_ / 4 / world, 1, seg_);
    const auto f32 = at::TensorOptions().dtype(at::kFloat).device(opts_.device);
    own_ = at::zeros({seg_}, f32);
    std::int64_t total = 0;
    for (const auto& [n, p] : params_) total += p.numel();
    const std::int64_t owned = seg[static_cast<std::size_t>(rank())];
    // Each rank says what it holds (run.log); rank 0's line also reaches the console.
    logger_->info("zero2: rank {} of {} owns {} of {} trainable tensors, {} of {} elements ({:.1f}%): gradients kept "
                  "{:.2f} MB, optimizer state for {} elements",
                  rank(), world, mine.size(), params_.size(), owned, total,
                  total ? 100.0 * static_cast<double>(owned) / static_cast<double>(total) : 0.0,
                  static_cast<double>(owned) * 4 / (1 << 20), owned);
    if (world > 1) comm();  // meet the other ranks now
    return mine;
  }

  void before_backward(bool) override {}

  void after_backward(bool last) override {
    if (!last) return;
    at::NoGradGuard no_grad;
    const int world = world_size();
    // Pack every gradient into its owner's segment, freeing it as it goes.
    at::Tensor all = at::zeros({world * seg_}, own_.options());
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const at::Tensor& p = params_[i].second;
      if (p.grad().defined()) slot(all, i).copy_(p.grad().reshape({-1}));
      p.mutable_grad() = at::Tensor();
    }
    if (world == 1) {
      own_.copy_(all);
    } else {
      at::Tensor rows = all.view({world, seg_});
      for (std::int64_t at = 0; at < seg_; at += chunk_) {
        const std::int64_t n = std::min(chunk_, seg_ - at);
        at::Tensor in = chunk_ == seg_ ? all : rows.narrow(1, at, n).contiguous().view({-1});
        at::Tensor out = own_.narrow(0, at, n);
        comm().reduce_scatter_sum(out, in, "gradient reduce-scatter");
      }
    }
    // Keep the owned gradients, summed over the ranks; the others stay freed.
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const at::Tensor& p = params_[i].second;
      if (owner_[i] == rank())
        p.mutable_grad() = own_.narrow(0, offset_[i], p.numel()).view(p.sizes()).to(p.scalar_type(), false, true);
    }
  }

  double clip_grad_norm(double max_norm) override {
    std::vector<socrates::NamedTensor> mine;
    for (std::size_t i = 0; i < params_.size(); ++i)
      if (owner_[i] == rank()) mine.push_back(params_[i]);
    return clip_owned(max_norm, mine);
  }

  // Every rank's updated tensors into every rank's model.
  void after_step() override {
    const int world = world_size();
    if (world == 1) return;
    at::NoGradGuard no_grad;
    for (std::size_t i = 0; i < params_.size(); ++i)
      if (owner_[i] == rank()) own_.narrow(0, offset_[i], params_[i].second.numel()).copy_(params_[i].second.reshape({-1}));
    at::Tensor all = at::empty({world * seg_}, own_.options());
    at::Tensor rows = all.view({world, seg_});
    for (std::int64_t at = 0; at < seg_; at += chunk_) {
      const std::int64_t n = std::min(chunk_, seg_ - at);
      at::Tensor in = own_.narrow(0, at, n);
      at::Tensor out = chunk_ == seg_ ? all : at::empty({world * n}, all.options());
      comm().all_gather(out, in, "parameter all-gather");
      if (chunk_ != seg_) rows.narrow(1, at, n).copy_(out.view({world, n}));
    }
    for (std::size_t i = 0; i < params_.size(); ++i)
      if (owner_[i] != rank()) params_[i].second.detach().copy_(slot(all, i).view(params_[i].second.sizes()));
  }

 private:
  at::Tensor slot(const at::Tensor& flat, std::size_t i) const {
    return flat.narrow(0, owner_[i] * seg_ + offset_[i], params_[i].second.numel());
  }

  std::vector<std::int64_t> offset_;  // offset_[i]: where params_[i] starts in its owner's segment
  std::int64_t seg_ = 1;              // S: elements per segment (the largest rank's share)
  std::int64_t chunk_ = 1;            // elements of each segment per collective
  at::Tensor own_;                    // [S]: this rank's segment (gradients, then parameters)
};

}  // namespace

SOCRATES_PLUGIN(socrates::Parallelism, Zero2, "zero2", "1.0.0",
                "ZeRO-2 over c10d: gradients and optimizer state sharded by tensor, parameters all-gathered",
                kOptions);
