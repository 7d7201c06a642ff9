// An adapter's trainable parameters in another dtype (autocast's weight cache, for LoRA
// computed in the input's dtype), cast all together: one multi-tensor copy per step instead
// of one cast per parameter, and the copies' gradients added back to the parameters' in
// their dtype in one multi-tensor pass at the end of each backward. The values are those of
// a cast per parameter and the cast's own backward, bit for bit.
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

  /// Parameter i in `dt` (the parameter itself when it has that dtype). A copy is made again
  /// when its parameter changed in place or a backward went through it; then every copy in
  /// `dt` is made again in the same multi-tensor copy.
  at::Tensor get(std::size_t i, at::ScalarType dt);

 private:
  struct Entry {
    at::Tensor param, copy;
    std::int64_t version = -1;
    bool used = false;  // a backward went through `copy`
  };
  // Shared with the copies' gradient hooks, which run on autograd's threads.
  struct State {
    std::mutex mu;
    std::vector<Entry> entries;
    std::vector<std::pair<std::size_t, at::Tensor>> pending;  // (entry, gradient of its copy)
    bool flush_queued = false;
    void flush();  // adds `pending` to the parameters' gradients
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();

  bool stale(const Entry& e, at::ScalarType dt) const;
  void recast(at::ScalarType dt);
};

}  // namespace lora
