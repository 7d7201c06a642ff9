// Evaluation mode for a scope: the adapter's dropout is off while the guard lives.
#pragma once

#include "socrates/adapter.hpp"

namespace socrates {

class EvalModeGuard {
 public:
  explicit EvalModeGuard(Adapter& adapter) : adapter_(adapter) { adapter_.set_training(false); }
  ~EvalModeGuard() { adapter_.set_training(true); }
  EvalModeGuard(const EvalModeGuard&) = delete;
  EvalModeGuard& operator=(const EvalModeGuard&) = delete;

 private:
  Adapter& adapter_;
};

}  // namespace socrates
