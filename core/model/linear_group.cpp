#include "model/linear_group.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/core/grad_mode.h>
#include <ATen/ops/linear.h>
#include <ATen/ops/mm.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/utils.h>

#include "model/linear_4bit.hpp"
#include "socrates/error.hpp"

namespace socrates {

namespace {

class GroupSlot final : public InputGradSlot {
 public:
  at::Tensor& grad() override { return grad_; }
  at::Tensor take() { return std::exchange(grad_, at::Tensor()); }

 private:
  at::Tensor grad_;
};

Linear4bit* four_bit(const Linear& l) { return dynamic_cast<Linear4bit*>(l.base().get()); }

// Dense or 4-bit, frozen: the host knows its dX.
bool groupable(const Linear& l) {
  if (l.base()) return four_bit(l) != nullptr && !(l.bias().defined() && l.bias().requires_grad());
  return !l.weight().requires_grad() && !(l.bias().defined() && l.bias().requires_grad());
}

// [out, in] in dtype: the dense weight, or the 4-bit one dequantised into the shared buffer.
at::Tensor base_weight(const Linear& l, c10::ScalarType dtype) {
  if (Linear4bit* q = four_bit(l)) return q->scratch_weight(dtype);
  return l.weight();
}

// dX of the group: the deltas' sum (the slot), then each base's dY · W added by its GEMM.
struct LinearGroupBackward final : torch::autograd::Node {
  std::vector<const Linear*> layers;
  std::vector<at::Tensor> kept;  // 4-bit weights dequantised by the forward (KeepDequantized)
  c10::ScalarType dtype = at::kFloat;
  std::int64_t rows = 0, in = 0;
  GroupSlot slot;

  std::string name() const override { return "socrates::LinearGroupBackward"; }

  torch::autograd::variable_list apply(torch::autograd::variable_list&& grads) override {
    at::Tensor dx = slot.take();
    if (dx.defined() && (dx.dim() != 2 || dx.size(0) != rows || dx.size(1) != in || dx.scalar_type() != dtype ||
                         !dx.is_contiguous())) {
      throw Error(layers.front()->name() + ": an adapter's delta left an input gradient of shape " +
                  c10::str(dx.sizes()) + " and dtype " + c10::toString(dx.scalar_type()) + " (contiguous: " +
                  (dx.is_contiguous() ? "yes" : "no") + "); the layer expects a contiguous [" + std::to_string(rows) +
                  ", " + std::to_string(in) + "] " + c10::toString(dtype) + " tensor (LinearDelta::forward_add_into)");
    }
    for (std::size_t i = 0; i < layers.size(); ++i) {
      if (!grads[i].defined()) continue;
      const at::Tensor w = kept[i].defined() ? kept[i] : base_weight(*layers[i], dtype);
      if (dx.defined())
        dx.addmm_(grads[i], w);
      else
        dx = at::mm(grads[i], w);
    }
    return {dx};
  }
};

}  // namespace

std::vector<at::Tensor> linear_group(std::initializer_list<const Linear*> group, const at::Tensor& x, bool fused) {
  std::vector<at::Tensor> out;
  out.reserve(group.size());
  bool grouped = fused && at::GradMode::is_enabled() && x.requires_grad();
  for (const Linear* l : group) grouped = grouped && groupable(*l);
  if (!grouped) {
    for (const Linear* l : group) out.push_back(l->forward(x));
    return out;
  }
  const std::int64_t in = x.size(-1);
  const at::Tensor x2 = x.dim() == 2 ? x : x.reshape({-1, in});
  auto node = std::shared_ptr<LinearGroupBackward>(new LinearGroupBackward(), torch::autograd::deleteNode);
  node->layers.assign(group.begin(), group.end());
  node->kept.resize(group.size());
  node->dtype = x2.scalar_type();
  node->rows = x2.size(0);
  node->in = in;
  node->set_next_edges(torch::autograd::collect_next_edges(x2));
  {
    at::NoGradGuard no_grad;
    const bool keep = KeepDequantized::active();
    for (const Linear* l : group) {
      if (l->in_features() != in)
        throw Error(l->name() + ": input has " + std::to_string(in) + " features, the layer expects " +
                    std::to_string(l->in_features()));
      Linear4bit* q = four_bit(*l);
      const at::Tensor w = q ? q->forward_weight(x2.scalar_type()) : l->weight();
      if (q && keep) node->kept[out.size()] = w;
      out.push_back(at::linear(x2, w, l->bias()));
    }
  }
  for (at::Tensor& y : out) torch::autograd::set_history(y, node);
  std::size_t i = 0;
  for (const Linear* l : group) {
    at::Tensor& y = out[i++];
    if (l->delta()) y = l->delta()->forward_add_into(x2, y, node->slot);
    if (x.dim() != 2) {
      std::vector<std::int64_t> sizes = x.sizes().vec();
      sizes.back() = y.size(-1);
      y = y.view(sizes);
    }
  }
  return out;
}

}  // namespace socrates
