#include "cast_group.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/_foreach_add.h>
#include <ATen/ops/_foreach_copy.h>
#include <ATen/ops/empty_like.h>
#include <torch/csrc/autograd/engine.h>

namespace lora {

std::size_t CastGroup::add(at::Tensor param) {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->entries.push_back(Entry{std::move(param)});
  return state_->entries.size() - 1;
}

bool CastGroup::stale(const Entry& e, at::ScalarType dt) const {
  return !e.copy.defined() || e.copy.scalar_type() != dt || e.used || e.version != e.param._version();
}

at::Tensor CastGroup::get(std::size_t i, at::ScalarType dt) {
  std::lock_guard<std::mutex> lock(state_->mu);
  Entry& e = state_->entries.at(i);
  if (e.param.scalar_type() == dt) return e.param;
  if (stale(e, dt)) recast(dt);
  return e.copy;
}

// Every parameter not already in `dt`, in one multi-tensor copy (new tensors: a graph that
// still holds an earlier copy keeps it). Each copy's gradient goes to `pending`, and the
// first one of a backward queues the flush for that backward's end.
void CastGroup::recast(at::ScalarType dt) {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> src, dst;
  std::vector<std::size_t> which;
  for (std::size_t i = 0; i < state_->entries.size(); ++i) {
    const Entry& e = state_->entries[i];
    if (e.param.scalar_type() == dt) continue;
    src.push_back(e.param.detach());
    dst.push_back(at::empty_like(e.param, e.param.options().dtype(dt)));
    which.push_back(i);
  }
  at::_foreach_copy_(dst, src);
  const std::weak_ptr<State> weak = state_;
  for (std::size_t k = 0; k < which.size(); ++k) {
    Entry& e = state_->entries[which[k]];
    e.copy = dst[k];
    e.version = e.param._version();
    e.used = false;
    if (!e.param.requires_grad()) continue;
    e.copy.requires_grad_(true);
    e.copy.register_hook([weak, i = which[k], copy = e.copy.unsafeGetTensorImpl()](const at::Tensor& g) {
      const std::shared_ptr<State> s = weak.lock();
      if (!s) return;
      std::lock_guard<std::mutex> lock(s->mu);
      Entry& entry = s->entries[i];
      if (entry.copy.unsafeGetTensorImpl() == copy) entry.used = true;  // not a newer copy
      s->pending.emplace_back(i, g);
      if (s->flush_queued) return;
      s->flush_queued = true;
      torch::autograd::Engine::get_default_engine().queue_callback([weak] {
        if (const std::shared_ptr<State> st = weak.lock()) st->flush();
      });
    });
  }
}

// As each copy's own backward would have done at once: the gradient cast to the parameter's
// dtype, then stored or added. Casts in one multi-tensor copy; adds in rounds, so that a
// parameter with two gradients in one backward gets them in their order.
void CastGroup::State::flush() {
  std::lock_guard<std::mutex> lock(mu);
  std::vector<std::pair<std::size_t, at::Tensor>> items;
  items.swap(pending);
  flush_queued = false;
  if (items.empty()) return;
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> src, cast;
  for (const auto& [i, g] : items) {
    src.push_back(g);
    cast.push_back(at::empty_like(g, g.options().dtype(entries[i].param.scalar_type())));
  }
  at::_foreach_copy_(cast, src);
  std::vector<bool> done(items.size(), false);
  for (std::size_t left = items.size(); left > 0;) {
    std::vector<bool> seen(entries.size(), false);
    std::vector<at::Tensor> acc, add;
    for (std::size_t k = 0; k < items.size(); ++k) {
      const std::size_t i = items[k].first;
      if (done[k] || seen[i]) continue;
      seen[i] = done[k] = true;
      --left;
      at::Tensor& grad = entries[i].param.mutable_grad();
      if (!grad.defined()) {
        grad = cast[k];
      } else {
        acc.push_back(grad);
        add.push_back(cast[k]);
      }
    }
    if (!acc.empty()) at::_foreach_add_(acc, add);
  }
}

}  // namespace lora
