#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ATen/ATen.h>

#include "plugin/components.hpp"
#include "plugin/plugin_library.hpp"
#include "socrates/objective.hpp"

using namespace socrates;

namespace {

std::shared_ptr<Objective> make(Table cfg = {}) {
  static auto lib = PluginLibrary::load(SOCRATES_PLUGIN_FILE);
  return lib->create<Objective>(standalone_context(*lib, "objective", std::move(cfg)));
}

// Answers token_nll_sum with the sum of the labels it was given, so the test sees which
// batch reached it; sequence_nll must not be called by sft.
class FakeModel : public ObjectiveModel {
 public:
  at::Tensor token_nll_sum(const TokenBatch& b) override {
    ++calls;
    return b.labels.clamp_min(0).sum().to(at::kFloat);
  }
  at::Tensor sequence_nll(const TokenBatch&, bool) override {
    ADD_FAILURE() << "sft needs no per-sequence log-probabilities";
    return {};
  }
  int calls = 0;
};

}  // namespace

TEST(Sft, UnitsAreTheResponseTokens) {
  auto sft = make();
  TokenBatch b;
  b.input_ids = at::zeros({2, 4}, at::kLong);
  b.labels = at::full({2, 4}, -100, at::kLong);
  b.loss_tokens = 3;
  EXPECT_EQ(sft->units(b), 3.0);
}

TEST(Sft, LossIsTheSummedTokenNll) {
  auto sft = make();
  FakeModel model;
  TokenBatch b;
  b.input_ids = at::zeros({1, 4}, at::kLong);
  b.labels = at::tensor({-100, 2, 5, -100}, at::kLong).view({1, 4});
  b.loss_tokens = 2;
  at::Tensor l = sft->loss_sum(model, b);
  EXPECT_EQ(model.calls, 1);
  EXPECT_FLOAT_EQ(l.item<float>(), 7.0f);
}
