// A frozen linear layer that adapters can wrap: y = base(x) + delta(x).
#pragma once

#include <memory>
#include <string>

#include "socrates/model.hpp"

namespace socrates {

class Linear final : public LinearSite {
 public:
  Linear(std::string name, at::Tensor weight, at::Tensor bias);
  /// A layer whose frozen base is `base` (e.g. 4-bit weights) from the start; `bias` is
  /// what bias() reports (the base applies it).
  Linear(std::string name, std::int64_t out, std::int64_t in, at::Tensor bias, std::shared_ptr<LinearBase> base);

  at::Tensor forward(const at::Tensor& x) const;

  const std::string& name() const override { return name_; }
  std::int64_t in_features() const override { return in_; }
  std::int64_t out_features() const override { return out_; }
  at::Tensor weight() const override { return weight_; }
  at::Tensor bias() const override { return bias_; }
  void set_delta(std::shared_ptr<LinearDelta> delta) override { delta_ = std::move(delta); }
  void set_base(std::shared_ptr<LinearBase> base) override;
  void merge_weight(const at::Tensor& delta_weight) override;

  /// The replaced base, or nullptr while the weight is dense.
  const std::shared_ptr<LinearBase>& base() const { return base_; }
  /// The installed delta, or nullptr.
  const std::shared_ptr<LinearDelta>& delta() const { return delta_; }

  /// Replaces the dense weight (loading); keeps shape checks.
  void set_weight(at::Tensor w);
  void set_bias(at::Tensor b);

 private:
  std::string name_;
  std::int64_t in_, out_;
  at::Tensor weight_;
  at::Tensor bias_;
  std::shared_ptr<LinearBase> base_;
  std::shared_ptr<LinearDelta> delta_;
};

}  // namespace socrates
