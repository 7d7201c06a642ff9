// test-adapter: a zero-initialised trainable weight delta W on every targeted linear layer,
// y = base(x) + x W^T. Saves W as raw float32.
#include <fstream>

#include <ATen/core/grad_mode.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/zeros.h>

#include "socrates/adapter.hpp"

namespace {

const socrates_option kOptions[] = {
    {"target", SOCRATES_STRING, "\"q_proj\"", "substring of the linear layers to adapt", nullptr},
};

struct WeightDelta final : socrates::LinearDelta {
  at::Tensor w;
  explicit WeightDelta(at::Tensor weight) : w(std::move(weight)) {}
  at::Tensor forward(const at::Tensor& x) override { return at::matmul(x, w.t().to(x.scalar_type())); }
};

class TestAdapter final : public socrates::Adapter {
 public:
  explicit TestAdapter(const socrates::PluginContext& ctx) : target_(ctx.config.get<std::string>("target")) {}

  void attach(socrates::ModelView& model) override {
    for (socrates::LinearSite* site : model.linear_sites()) {
      if (site->name().find(target_) == std::string::npos) continue;
      auto w = at::zeros({site->out_features(), site->in_features()}, at::TensorOptions().device(model.device()));
      w.requires_grad_(true);
      site->set_delta(std::make_shared<WeightDelta>(w));
      sites_.push_back(site);
      params_.emplace_back("base_model.model.model." + site->name() + ".delta.weight", w);
    }
    if (sites_.empty()) throw socrates::ConfigError("test-adapter: target '" + target_ + "' matches no linear layer");
  }
  std::vector<socrates::NamedTensor> parameters() const override { return params_; }
  void set_training(bool) override {}

  void save(const std::filesystem::path& dir) const override {
    std::filesystem::create_directories(dir);
    std::ofstream out(dir / "test_adapter.bin", std::ios::binary);
    for (const auto& [name, w] : params_) {
      auto cpu = w.detach().to(at::kCPU, at::kFloat).contiguous();
      out.write(static_cast<const char*>(cpu.data_ptr()), static_cast<std::streamsize>(cpu.nbytes()));
    }
    if (!out) throw socrates::Error("test-adapter: cannot write " + (dir / "test_adapter.bin").string());
  }
  void load(const std::filesystem::path& dir) override {
    std::ifstream in(dir / "test_adapter.bin", std::ios::binary);
    at::NoGradGuard no_grad;
    for (auto& [name, w] : params_) {
      auto cpu = at::zeros(w.sizes(), at::kFloat);
      if (!in.read(static_cast<char*>(cpu.data_ptr()), static_cast<std::streamsize>(cpu.nbytes()))) {
        throw socrates::Error("test-adapter: " + (dir / "test_adapter.bin").string() + " has no data for " + name);
      }
      w.copy_(cpu);
    }
  }
  void merge() override {
    for (std::size_t i = 0; i < sites_.size(); ++i) {
      sites_[i]->merge_weight(params_[i].second.detach());
      sites_[i]->set_delta(nullptr);
    }
    sites_.clear();
    params_.clear();
  }

 private:
  std::string target_;
  std::vector<socrates::LinearSite*> sites_;
  std::vector<socrates::NamedTensor> params_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Adapter, TestAdapter, "test-adapter", "1.0.0", "Zero-init weight delta for tests", kOptions);
