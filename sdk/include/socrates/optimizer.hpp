// Concern: optimizer. Updates the tensors the parallelism strategy gives it.
#pragma once

#include <vector>

#include "socrates/plugin.hpp"
#include "socrates/tensor.hpp"

namespace socrates {

class SOCRATES_API Optimizer : public Component {
 public:
  static constexpr const char* kConcern = "optimizer";

  /// The tensors to update, with stable names. Under ZeRO-2 these are this rank's shards,
  /// so state is created for them only. Called once, before step().
  virtual void init(std::vector<NamedTensor> params) = 0;
  /// One update from each tensor's .grad() with learning rate `lr`. Tensors without a
  /// gradient are skipped. Does not zero gradients.
  virtual void step(double lr) = 0;
  /// Everything needed to continue bit-exactly (moments, step counts), keyed by param name.
  virtual StateDict state() const = 0;
  /// Restores state(); throws naming the tensor on a missing key or a shape mismatch.
  virtual void load_state(const StateDict& state) = 0;
};

}  // namespace socrates
