#include "cast_group.hpp"

#include <algorithm>

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

at::Tensor CastGroup::get(std::size_t i, at::ScalarType dt) {
  std::lock_guard<std::mutex> lock(state_->mu);
  Entry& e = state_->entries.at(i);
  if (e.param.scalar_type() == dt) return e.param;
  if (!e.copy.defined() || e.copy.scalar_type() != dt) {
    make_copies(dt);
  } else if (e.used || e.version != e.param._version()) {
    refresh_copies();
  }
  return e.copy;
}

// New leaves in `dt` for every parameter not in it, each with the hook that hands its gradient
// to the flush at the end of the backward it is in.
void CastGroup::make_copies(at::ScalarType dt) {
  const std::weak_ptr<State> weak = state_;
  for (std::size_t i = 0; i < state_->entries.size(); ++i) {
    Entry& e = state_->entries[i];
    if (e.param.scalar_type() == dt) continue;
    e.copy = at::empty_like(e.param, e.param.options().dtype(dt));
    e.version = -1;  // stale: written by refresh_copies below
    if (!e.param.requires_grad()) continue;
    e.copy.requires_grad_(true);
    e.copy.register_hook([weak, i, copy = e.copy.unsafeGetTensorImpl()](const at::Tensor& g) {
      const std::shared_ptr<State> s = weak.lock();
      if (!s) return;
      std::lock_guard<std::mutex> lock(s->mu);
      Entry& entry = s->entries[i];
      if (entry.copy.unsafeGetTensorImpl() == copy) {
        entry.used = true;
        s->pending.push_back({i, at::Tensor()});  // autograd stores g in the copy's .grad
      } else {
        s->pending.push_back({i, g});  // a copy replaced meanwhile
      }
      // One callback per gradient, not one per backward: a backward that fails midway runs
      // none, and a flag would then keep the next from queuing its own. The first to run
      // takes everything; the rest find nothing.
      torch::autograd::Engine::get_default_engine().queue_callback([weak] {
        if (const std::shared_ptr<State> st = weak.lock()) st->flush();
      });
    });
  }
  refresh_copies();
}

// Every stale copy, not only the one asked for: after an optimizer step or a backward that is
// all of them, in one launch. A fresh copy may already be held by the graph being built. What
// a backward that failed midway left of a stale copy's gradient is dropped: a finished one
// flushed it already.
void CastGroup::refresh_copies() {
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> src, dst;
  std::vector<bool> refreshed(state_->entries.size(), false);
  for (std::size_t i = 0; i < state_->entries.size(); ++i) {
    Entry& e = state_->entries[i];
    if (!e.copy.defined() || (!e.used && e.version == e.param._version())) continue;
    src.push_back(e.param);  // read under no_grad: no detached view per parameter (~3 µs of host time each)
    dst.push_back(e.copy);
    e.version = e.param._version();
    e.used = false;
    e.copy.mutable_grad() = at::Tensor();
    refreshed[i] = true;
  }
  auto& pending = state_->pending;
  pending.erase(std::remove_if(pending.begin(), pending.end(), [&](const Pending& p) { return refreshed[p.entry]; }),
                pending.end());
  at::_foreach_copy_(dst, src);
}

// As each copy's own backward would have done at once: the gradient cast to the parameter's
// dtype, then stored or added. Casts in one multi-tensor copy; adds in rounds, so that a
// parameter with two gradients in one backward gets them in their order.
void CastGroup::State::flush() {
  std::lock_guard<std::mutex> lock(mu);
  std::vector<Pending> items;
  items.swap(pending);
  at::NoGradGuard no_grad;
  std::vector<at::Tensor> src, cast;
  std::vector<std::size_t> owner;
  for (Pending& p : items) {
    if (!p.grad.defined()) {
      // The copy's own gradient, taken out so that the next backward starts from none.
      at::Tensor& held = entries[p.entry].copy.mutable_grad();
      if (!held.defined()) continue;  // a second hook call of one copy: taken already
      p.grad = std::move(held);
      held = at::Tensor();
    }
    src.push_back(p.grad);
    cast.push_back(at::empty_like(p.grad, p.grad.options().dtype(entries[p.entry].param.scalar_type())));
    owner.push_back(p.entry);
  }
  if (src.empty()) return;
  at::_foreach_copy_(cast, src);
  std::vector<bool> done(cast.size(), false);
  for (std::size_t left = cast.size(); left > 0;) {
    std::vector<bool> seen(entries.size(), false);
    std::vector<at::Tensor> acc, add;
    for (std::size_t k = 0; k < cast.size(); ++k) {
      const std::size_t i = owner[k];
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
