// Concern: parallelism. The trainer calls these hooks at fixed points of every step, so
// single-process, DDP and ZeRO-2 fit without trainer changes:
//
//   params = par.setup(adapter.parameters());   optimizer.init(params)
//   for each step:
//     for each micro-batch m (last = final one):
//       par.before_backward(last); loss.backward(); par.after_backward(last)
//     norm = par.clip_grad_norm(max_norm); optimizer.step(lr); par.after_step()
#pragma once

#include <vector>

#include "socrates/plugin.hpp"
#include "socrates/tensor.hpp"

namespace socrates {

class SOCRATES_API Parallelism : public Component {
 public:
  static constexpr const char* kConcern = "parallelism";

  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  /// Takes the model's trainable parameters; returns what the local optimizer updates
  /// (the same tensors, or this rank's shards of them for ZeRO-2). Called once.
  virtual std::vector<NamedTensor> setup(std::vector<NamedTensor> params) = 0;
  /// Before each micro-batch's backward; `last` is true for the final micro-batch of a step.
  virtual void before_backward(bool last) = 0;
  /// After each micro-batch's backward; synchronises gradients when `last` is true
  /// (all-reduce for DDP, reduce-scatter for ZeRO-2).
  virtual void after_backward(bool last) = 0;
  /// Scales gradients so their global L2 norm is at most max_norm (<= 0: no clipping);
  /// returns the norm before clipping, computed over all ranks.
  virtual double clip_grad_norm(double max_norm) = 0;
  /// After optimizer.step(); ZeRO-2 all-gathers the updated parameters here.
  virtual void after_step() = 0;
  /// Sums `t` over all ranks, in place (token counts, losses, metrics).
  virtual void all_reduce_sum(at::Tensor& t) = 0;
  virtual void barrier() = 0;
};

}  // namespace socrates
