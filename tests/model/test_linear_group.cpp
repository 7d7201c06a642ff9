// linear_group (one autograd node for linear layers that read one input) against each layer's
// own autograd (fused = false): dense and 4-bit bases, with no delta, a delta that keeps the
// default forward_add_into (autograd gives x its share), and one that writes the input-gradient
// slot; a delta that leaves a malformed slot is an error naming the layer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include "model/linear.hpp"
#include "model/linear_4bit.hpp"
#include "model/linear_group.hpp"
#include "quant/nf4.hpp"

using namespace socrates;
using testing::HasSubstr;

namespace {

// y = base_out + x Mᵀ through autograd (the default forward_add_into).
class AutogradDelta final : public LinearDelta {
 public:
  explicit AutogradDelta(at::Tensor m) : m_(std::move(m)) {}
  at::Tensor forward(const at::Tensor& x) override { return at::linear(x, m_); }

 private:
  at::Tensor m_;
};

// y = base_out + x Mᵀ, x's gradient gM written into the slot (added when a delta before it wrote
// it), none through autograd; `bad` writes a transposed one.
struct SlotFn : torch::autograd::Function<SlotFn> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, at::Tensor base_out,
                            const at::Tensor& m, std::int64_t slot, bool bad) {
    ctx->saved_data["slot"] = slot;
    ctx->saved_data["bad"] = bad;
    ctx->save_for_backward({m});
    base_out.add_(at::linear(x, m));
    ctx->mark_dirty({base_out});
    return base_out;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list g) {
    at::Tensor& sum = reinterpret_cast<InputGradSlot*>(ctx->saved_data["slot"].toInt())->grad();
    const at::Tensor dx = g[0].mm(ctx->get_saved_variables()[0]);
    if (ctx->saved_data["bad"].toBool())
      sum = dx.t();
    else if (sum.defined())
      sum.add_(dx);
    else
      sum = dx;
    return {at::Tensor(), g[0], at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

class SlotDelta final : public LinearDelta {
 public:
  SlotDelta(at::Tensor m, bool bad = false) : m_(std::move(m)), bad_(bad) {}
  at::Tensor forward(const at::Tensor& x) override { return at::linear(x, m_); }
  at::Tensor forward_add_into(const at::Tensor& x, const at::Tensor& base_out, InputGradSlot& slot) override {
    ++calls;
    return SlotFn::apply(x, base_out, m_, reinterpret_cast<std::int64_t>(&slot), bad_);
  }
  int calls = 0;

 private:
  at::Tensor m_;
  bool bad_;
};

struct Group {
  std::vector<std::unique_ptr<Linear>> layers;
  std::shared_ptr<DequantBuffer> buffer = std::make_shared<DequantBuffer>();
};

// Three layers of input 64 and outputs 32, 16, 16 (q, k, v-like), dense or 4-bit, with biases.
Group make_group(bool four_bit) {
  at::manual_seed(3);
  Group g;
  for (const std::int64_t out : {32, 16, 16}) {
    const at::Tensor w = at::randn({out, 64}) * 0.1, b = at::randn({out}) * 0.1;
    const std::string name = "layers.0.proj" + std::to_string(g.layers.size());
    if (four_bit)
      g.layers.push_back(std::make_unique<Linear>(
          name, out, 64, b, std::make_shared<Linear4bit>(quant::quantize_nf4(w), b, g.buffer)));
    else
      g.layers.push_back(std::make_unique<Linear>(name, w, b));
  }
  return g;
}

struct Result {
  std::vector<at::Tensor> y;
  at::Tensor dx;
};

Result run(const Group& g, const at::Tensor& x0, const std::vector<at::Tensor>& dy, bool fused) {
  const at::Tensor x = x0.clone().requires_grad_(true);
  const std::vector<at::Tensor> y =
      linear_group({g.layers[0].get(), g.layers[1].get(), g.layers[2].get()}, x, fused);
  torch::autograd::backward(y, dy);
  Result r{{}, x.grad()};
  for (const at::Tensor& t : y) r.y.push_back(t.detach());
  return r;
}

void expect_same(const Group& g, const char* what) {
  at::manual_seed(5);
  const at::Tensor x = at::randn({2, 7, 64});
  std::vector<at::Tensor> dy;
  for (const auto& l : g.layers) dy.push_back(at::randn({2, 7, l->out_features()}));
  const Result got = run(g, x, dy, true), want = run(g, x, dy, false);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(got.y[i].sizes(), want.y[i].sizes()) << what;
    EXPECT_TRUE(at::allclose(got.y[i], want.y[i], 1e-6, 1e-6)) << what << ": output " << i;
  }
  ASSERT_TRUE(got.dx.defined()) << what;
  EXPECT_TRUE(at::allclose(got.dx, want.dx, 1e-5, 1e-6))
      << what << ": dx, max |diff| " << (got.dx - want.dx).abs().max().item<double>();
  EXPECT_GT(got.dx.abs().sum().item<double>(), 0.0) << what;
}

}  // namespace

TEST(LinearGroup, GradientsEqualEachLayersOwnAutograd) {
  for (const bool four_bit : {false, true}) {
    const char* base = four_bit ? "4-bit" : "dense";
    Group g = make_group(four_bit);
    expect_same(g, base);
    at::manual_seed(9);
    for (auto& l : g.layers) l->set_delta(std::make_shared<AutogradDelta>(at::randn({l->out_features(), 64}) * 0.1));
    expect_same(g, four_bit ? "4-bit, autograd deltas" : "dense, autograd deltas");
    std::vector<std::shared_ptr<SlotDelta>> deltas;
    for (auto& l : g.layers) {
      deltas.push_back(std::make_shared<SlotDelta>(at::randn({l->out_features(), 64}) * 0.1));
      l->set_delta(deltas.back());
    }
    expect_same(g, four_bit ? "4-bit, slot deltas" : "dense, slot deltas");
    // Used by the grouped path (once per run), not only by the reference one.
    for (const auto& d : deltas) EXPECT_EQ(d->calls, 1) << base;
    // Mixed: the first layer's delta through autograd, the others into the slot.
    g.layers[0]->set_delta(std::make_shared<AutogradDelta>(at::randn({32, 64}) * 0.1));
    expect_same(g, four_bit ? "4-bit, mixed deltas" : "dense, mixed deltas");
  }
}

TEST(LinearGroup, ReferencePathWithoutGradOrWithATrainableWeight) {
  Group g = make_group(false);
  auto delta = std::make_shared<SlotDelta>(at::randn({32, 64}));
  g.layers[0]->set_delta(delta);
  const at::Tensor x = at::randn({3, 64}).requires_grad_(true);
  {
    at::NoGradGuard no_grad;
    linear_group({g.layers[0].get()}, x, true);
  }
  EXPECT_EQ(delta->calls, 0) << "no grad: Linear::forward";
  g.layers[0]->weight().requires_grad_(true);
  linear_group({g.layers[0].get()}, x, true)[0].sum().backward();
  EXPECT_EQ(delta->calls, 0) << "a trainable weight: Linear::forward";
  EXPECT_TRUE(g.layers[0]->weight().grad().defined()) << "and the weight gets its gradient";
}

TEST(LinearGroup, AMalformedSlotIsAnErrorNamingTheLayer) {
  Group g = make_group(false);
  g.layers[1]->set_delta(std::make_shared<SlotDelta>(at::randn({16, 64}), /*bad=*/true));
  const at::Tensor x = at::randn({5, 64}).requires_grad_(true);
  const auto y = linear_group({g.layers[0].get(), g.layers[1].get(), g.layers[2].get()}, x, true);
  EXPECT_THAT([&] { torch::autograd::backward(y, {at::ones_like(y[0]), at::ones_like(y[1]), at::ones_like(y[2])}); },
              testing::ThrowsMessage<std::exception>(
                  testing::AllOf(HasSubstr("layers.0.proj0"), HasSubstr("[64, 5]"), HasSubstr("contiguous [5, 64]"))));
}
