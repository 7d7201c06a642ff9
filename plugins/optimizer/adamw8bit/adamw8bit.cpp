// 8-bit AdamW, equal to bitsandbytes.optim.AdamW8bit: both moments uint8 in blocks of 256
// (signed dynamic map for the first, unsigned for the second) with a float32 absmax per
// block; tensors under min_8bit_size elements keep float32 moments; weight decay after the
// Adam step; a NaN/Inf gradient zeroes that element's moments. CUDA parameters are updated
// by multi-tensor kernels without a host synchronisation.
#include <map>

#include <ATen/ops/empty.h>
#include <ATen/ops/equal.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/zeros.h>

#include "kernels.hpp"
#include "socrates/optimizer.hpp"

namespace {

const socrates_option kOptions[] = {
    {"betas", SOCRATES_FLOAT_LIST, "[0.9, 0.999]", "Decay rates of the first and second moment estimates", nullptr},
    {"eps", SOCRATES_FLOAT, "1e-8", "Added to the denominator for numerical stability", nullptr},
    {"weight_decay", SOCRATES_FLOAT, "0.1", "Decoupled weight decay, applied after the Adam step as bitsandbytes does",
     nullptr},
    {"min_8bit_size", SOCRATES_INT, "4096", "Tensors with fewer elements keep 32-bit moments (bitsandbytes' default)",
     nullptr},
};

using adamw8bit::ParamState;

class AdamW8bit final : public socrates::Optimizer {
 public:
  explicit AdamW8bit(const socrates::PluginContext& ctx) : cfg_(ctx.config) {
    const auto betas = cfg_.get<std::vector<double>>("betas");
    if (betas.size() != 2) throw cfg_.error("betas", "needs exactly two values, e.g. [0.9, 0.999]");
    for (double b : betas)
      if (!(b >= 0.0 && b < 1.0)) throw cfg_.error("betas", "each beta must be in [0, 1)");
    hyper_.beta1 = static_cast<float>(betas[0]);
    hyper_.beta2 = static_cast<float>(betas[1]);
    const double eps = cfg_.get<double>("eps"), wd = cfg_.get<double>("weight_decay");
    if (eps <= 0) throw cfg_.error("eps", "must be > 0");
    if (wd < 0) throw cfg_.error("weight_decay", "must be >= 0");
    hyper_.eps = static_cast<float>(eps);
    hyper_.weight_decay = static_cast<float>(wd);
    min_8bit_size_ = cfg_.get<std::int64_t>("min_8bit_size");
    if (min_8bit_size_ < 0) throw cfg_.error("min_8bit_size", "must be >= 0");
  }

  void init(std::vector<socrates::NamedTensor> params) override {
    states_.clear();
    names_.clear();
    for (auto& [name, p] : params) {
      const auto t = p.scalar_type();
      if (t != at::kFloat && t != at::kBFloat16 && t != at::kHalf)
        throw socrates::Error("adamw8bit: parameter '" + name + "' has dtype " + c10::toString(t) +
                              " (float32, bfloat16 or float16 supported)");
      if (!p.is_contiguous()) throw socrates::Error("adamw8bit: parameter '" + name + "' is not contiguous");
      ParamState s;
      s.param = p;
      if (p.numel() >= min_8bit_size_) {
        const std::int64_t blocks = (p.numel() + adamw8bit::kBlock - 1) / adamw8bit::kBlock;
        // Zero codes and zero absmax: both moments start at 0, as in bitsandbytes.
        s.state1 = at::zeros(p.sizes(), p.options().dtype(at::kByte));
        s.state2 = at::zeros(p.sizes(), p.options().dtype(at::kByte));
        s.absmax1 = at::zeros({blocks}, p.options().dtype(at::kFloat));
        s.absmax2 = at::zeros({blocks}, p.options().dtype(at::kFloat));
      } else {
        s.state1 = at::zeros(p.sizes(), p.options().dtype(at::kFloat));
        s.state2 = at::zeros(p.sizes(), p.options().dtype(at::kFloat));
      }
      states_.push_back(std::move(s));
      names_.push_back(name);
    }
  }

  void step(double lr) override {
    hyper_.lr = static_cast<float>(lr);
    std::map<c10::DeviceIndex, std::vector<ParamState*>> on_gpu;
    for (ParamState& s : states_) {
      const at::Tensor& g = s.param.grad();
      if (!g.defined()) continue;
      s.grad = g.scalar_type() == s.param.scalar_type() ? g.contiguous() : g.to(s.param.scalar_type()).contiguous();
      ++s.step;
      if (s.param.is_cuda()) {
        on_gpu[s.param.device().index()].push_back(&s);
      } else {
        adamw8bit::cpu_step(s, hyper_);
        s.grad = at::Tensor();
        s.param.unsafeGetTensorImpl()->bump_version();  // written through its pointer: an in-place update
      }
    }
    for (auto& [device, list] : on_gpu) {
#ifdef SOCRATES_ADAMW8BIT_CUDA
      const auto& maps = device_maps(device);
      adamw8bit::cuda_step(list, maps.first, maps.second, hyper_);
      for (ParamState* s : list) {
        s->grad = at::Tensor();
        s->param.unsafeGetTensorImpl()->bump_version();  // as an in-place op would (LoRA's cast copies read it)
      }
#else
      (void)list;
      throw socrates::Error("adamw8bit: parameters are on cuda:" + std::to_string(device) +
                            " but this plugin was built without CUDA kernels");
#endif
    }
  }

  socrates::StateDict state() const override {
    socrates::StateDict sd;
    for (std::size_t i = 0; i < states_.size(); ++i) {
      const ParamState& s = states_[i];
      const std::string& n = names_[i];
      sd.tensors[n + ".state1"] = s.state1;
      sd.tensors[n + ".state2"] = s.state2;
      if (s.absmax1.defined()) {
        sd.tensors[n + ".absmax1"] = s.absmax1;
        sd.tensors[n + ".absmax2"] = s.absmax2;
        sd.tensors[n + ".qmap1"] = map_tensor(true);
        sd.tensors[n + ".qmap2"] = map_tensor(false);
      }
      sd.meta[n + ".step"] = std::to_string(s.step);
    }
    return sd;
  }

  void load_state(const socrates::StateDict& sd) override {
    for (std::size_t i = 0; i < states_.size(); ++i) {
      ParamState& s = states_[i];
      const std::string& n = names_[i];
      restore(sd, n + ".state1", s.state1);
      restore(sd, n + ".state2", s.state2);
      if (s.absmax1.defined()) {
        restore(sd, n + ".absmax1", s.absmax1);
        restore(sd, n + ".absmax2", s.absmax2);
        for (bool sgn : {true, false}) {
          auto it = sd.tensors.find(n + (sgn ? ".qmap1" : ".qmap2"));
          if (it != sd.tensors.end() && !at::equal(it->second.cpu(), map_tensor(sgn)))
            throw socrates::Error("adamw8bit state: '" + it->first + "' is not bitsandbytes' dynamic map");
        }
      }
      auto it = sd.meta.find(n + ".step");
      if (it == sd.meta.end()) throw socrates::Error("adamw8bit state: missing step count for '" + n + "'");
      s.step = std::stoll(it->second);
    }
  }

 private:
  static at::Tensor map_tensor(bool signed_map) {
    const auto& v = adamw8bit::dynamic_map(signed_map);
    return at::from_blob(const_cast<float*>(v.data()), {256}, at::TensorOptions().dtype(at::kFloat)).clone();
  }

  const std::pair<at::Tensor, at::Tensor>& device_maps(c10::DeviceIndex device) {
    auto it = maps_.find(device);
    if (it == maps_.end()) {
      const c10::Device d(c10::kCUDA, device);
      it = maps_.emplace(device, std::make_pair(map_tensor(true).to(d), map_tensor(false).to(d))).first;
    }
    return it->second;
  }

  static void restore(const socrates::StateDict& sd, const std::string& key, at::Tensor& into) {
    auto it = sd.tensors.find(key);
    if (it == sd.tensors.end()) {
      throw socrates::Error("adamw8bit state: missing tensor '" + key + "' (saved with another min_8bit_size, or " +
                            "for other parameters?)");
    }
    const at::Tensor& t = it->second;
    if (t.sizes() != into.sizes() || t.scalar_type() != into.scalar_type()) {
      throw socrates::Error("adamw8bit state: tensor '" + key + "' is " + c10::toString(t.scalar_type()) +
                            c10::str(t.sizes()) + ", expected " + c10::toString(into.scalar_type()) +
                            c10::str(into.sizes()));
    }
    into.copy_(t);
  }

  socrates::ConfigSection cfg_;
  adamw8bit::Hyper hyper_{0.9f, 0.999f, 1e-8f, 0.0f, 0.1f};
  std::int64_t min_8bit_size_ = 4096;
  std::vector<ParamState> states_;
  std::vector<std::string> names_;
  std::map<c10::DeviceIndex, std::pair<at::Tensor, at::Tensor>> maps_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Optimizer, AdamW8bit, "adamw8bit", "1.0.0",
                "8-bit AdamW (blockwise dynamic quantisation); matches bitsandbytes.optim.AdamW8bit", kOptions);
