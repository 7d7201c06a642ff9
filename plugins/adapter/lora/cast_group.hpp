// An adapter's trainable parameters in another dtype (autocast's weight cache, for LoRA
// computed in the input's dtype), cast all together: one multi-tensor copy per step into
// copies made once, instead of one cast per parameter, and the copies' gradients added back
// to the parameters' in their dtype in one multi-tensor pass at the end of each backward. The
// values are those of a cast per parameter and the cast's own backward, bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include <ATen/core/Tensor.h>

namespace lora {

class CastGroup {
 public:
  /// Adds a parameter; returns its index for get().
  std::size_t add(at::Tensor param);

  /// Parameter i in `dt` (the parameter itself when it has that dtype). When its copy is stale
  /// (the parameter changed in place, or a backward went through the copy), every stale copy is
  /// written again from its parameter in one multi-tensor copy. The copies are leaves made once
  /// per dtype: a graph still holding one when it is written again (a parameter changed between
  /// two forward passes of one graph) fails in backward (autograd's version check), never
  /// silently.
  at::Tensor get(std::size_t i, at::ScalarType dt);

 private:
  struct Entry {
    at::Tensor param, copy;
    std::int64_t version = -1;
    bool used = false;  // a backward went through `copy`
  };
  // A copy's gradient to bring back: read from the copy itself (autograd then moves it there
  // without a clone), or held here for a copy since replaced by one of another dtype.
  struct Pending {
    std::size_t entry;
    at::Tensor grad;
  };
  // Shared with the copies' gradient hooks, which run on autograd's threads.
  struct State {
    std::mutex mu;
    std::vector<Entry> entries;
    std::vector<Pending> pending;
    void flush();  // adds `pending` to the parameters' gradients
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();

  void make_copies(at::ScalarType dt);
  void refresh_copies();
};

}  // namespace lora
