#include "lora_adapter.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/zeros.h>

#include "peft_format.hpp"
#include "targets.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace lora {

namespace {

std::string shape_str(at::IntArrayRef s) { return c10::str(s); }

std::string join_some(const std::vector<std::string>& items, std::size_t n) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < n; ++i) out += (i ? "; " : "") + items[i];
  if (items.size() > n) out += "; and " + std::to_string(items.size() - n) + " more";
  return out;
}

}  // namespace

LoraAdapter::LoraAdapter(const socrates::PluginContext& ctx)
    : cfg_(ctx.config), opts_(LoraOptions::from(ctx.config)), seed_(ctx.seed), host_(ctx.host), logger_(ctx.logger) {}

void LoraAdapter::require_attached(const char* what) const {
  if (!attached_) throw socrates::Error(std::string("lora: ") + what + " before attach()");
  if (merged_) {
    throw socrates::Error(std::string("lora: ") + what +
                          " after merge(): the adapter is folded into the base weights; export the model instead");
  }
}

void LoraAdapter::attach(socrates::ModelView& model) {
  if (attached_) throw socrates::Error("lora: attach() called twice; create one adapter per model");
  const std::vector<socrates::LinearSite*> chosen = select_sites(model, opts_, cfg_);
  for (const auto* s : model.linear_sites()) all_names_.push_back(s->name());

  at::Generator gen = at::detail::createCPUGenerator(seed_);
  const auto topt = at::TensorOptions().dtype(opts_.dtype).device(model.device());
  const double scaling = opts_.scaling();
  std::int64_t count = 0;
  auto casts = std::make_shared<CastGroup>();
  for (socrates::LinearSite* s : chosen) {
    at::Tensor a = kaiming_uniform_a(opts_.r, s->in_features(), gen).to(topt).requires_grad_(true);
    at::Tensor b = at::zeros({s->out_features(), opts_.r}, topt).requires_grad_(true);
    auto delta = std::make_shared<LoraDelta>(a, b, scaling, opts_.dropout, opts_.compute_in_input_dtype,
                                             opts_.redraw_dropout_mask, opts_.fused_dropout, casts);
    delta->set_training(training_);
    s->set_delta(delta);
    sites_.push_back({s, a, b, delta});
    count += a.numel() + b.numel();
  }
  attached_ = true;
  if (logger_) {
    logger_->info("lora: r={} alpha={} (scaling {}) dropout={} on {} of {} linear layers of {}: {} trainable parameters",
                  opts_.r, opts_.alpha, scaling, opts_.dropout, sites_.size(), all_names_.size(),
                  model.architecture(), count);
  }
}

std::vector<socrates::NamedTensor> LoraAdapter::parameters() const {
  std::vector<socrates::NamedTensor> out;
  for (const Site& s : sites_) {
    out.emplace_back(param_key(s.site->name(), 'A'), s.a);
    out.emplace_back(param_key(s.site->name(), 'B'), s.b);
  }
  return out;
}

void LoraAdapter::set_training(bool training) {
  training_ = training;
  for (Site& s : sites_) s.delta->set_training(training);
}

std::vector<std::string> LoraAdapter::chosen_names() const {
  std::vector<std::string> out;
  for (const Site& s : sites_) out.push_back(s.site->name());
  return out;
}

void LoraAdapter::save(const fs::path& dir) const {
  require_attached("save()");
  if (host_ == nullptr) throw socrates::Error("lora: save(): the plugin context has no host services");
  fs::create_directories(dir);
  socrates::StateDict sd;
  sd.meta["format"] = "pt";
  for (const auto& [name, t] : parameters()) sd.tensors[name] = t.detach();
  host_->save_tensors(dir / kWeightsFile, sd);
  host_->write_text(dir / kConfigFile, adapter_config_text(opts_, peft_target_modules(all_names_, chosen_names())));
}

void LoraAdapter::check_config(const fs::path& dir) const {
  const json c = read_adapter_config(dir);
  const fs::path file = dir / kConfigFile;
  const std::string f = file.string() + ": ";
  check_supported(c, file);
  const json& r = c.at("r");
  if (!r.is_number_integer() || r.get<std::int64_t>() != opts_.r) {
    throw socrates::Error(f + "'r' is " + r.dump() + " but the attached adapter has r = " + std::to_string(opts_.r) +
                          " (set the adapter's r to the file's)");
  }
  const double alpha = c.at("lora_alpha").get<double>();
  if (std::abs(alpha - opts_.alpha) > 1e-12 * std::max(1.0, std::abs(alpha))) {
    throw socrates::Error(f + "'lora_alpha' is " + c.at("lora_alpha").dump() +
                          " but the attached adapter has alpha = " + json(opts_.alpha).dump() +
                          " (set the adapter's alpha to the file's)");
  }
  const bool rs = c.contains("use_rslora") && c.at("use_rslora").is_boolean() && c.at("use_rslora").get<bool>();
  if (rs != opts_.rslora) {
    throw socrates::Error(f + "'use_rslora' is " + (rs ? "true" : "false") + " but the attached adapter has rslora = " +
                          (opts_.rslora ? "true" : "false"));
  }
  std::vector<std::string> selected;
  try {
    selected = peft_selected(c.at("target_modules"), all_names_);
  } catch (const std::regex_error& e) {
    throw socrates::Error(f + "'target_modules' " + c.at("target_modules").dump() +
                          " is a regex that std::regex (ECMAScript) cannot parse: " + e.what());
  }
  const std::vector<std::string> ours = chosen_names();
  if (selected != ours) {
    std::string diff;
    for (const std::string& n : selected)
      if (std::find(ours.begin(), ours.end(), n) == ours.end()) {
        diff = n + " is targeted by the file but not by the attached adapter";
        break;
      }
    if (diff.empty())
      for (const std::string& n : ours)
        if (std::find(selected.begin(), selected.end(), n) == selected.end()) {
          diff = n + " is targeted by the attached adapter but not by the file";
          break;
        }
    throw socrates::Error(f + "'target_modules' " + c.at("target_modules").dump() + " selects " +
                          std::to_string(selected.size()) + " linear layers but the attached adapter targets " +
                          std::to_string(ours.size()) + " (" + diff + "); set the adapter's target_modules to the file's");
  }
}

void LoraAdapter::load(const fs::path& dir) {
  require_attached("load()");
  if (host_ == nullptr) throw socrates::Error("lora: load(): the plugin context has no host services");
  check_config(dir);
  const fs::path file = dir / kWeightsFile;
  if (!fs::is_regular_file(file)) {
    const bool bin = fs::exists(dir / "adapter_model.bin");
    throw socrates::Error(file.string() + ": missing" +
                          (bin ? std::string(" (the folder has adapter_model.bin: only safetensors adapters are "
                                             "supported; re-save it with safe_serialization=True)")
                               : std::string(" (a PEFT adapter folder has adapter_model.safetensors)")));
  }
  const socrates::StateDict sd = host_->load_tensors(file);
  std::map<std::string, std::pair<std::string, at::Tensor>> by_key;  // canonical -> (key in file, tensor)
  std::vector<std::string> problems;
  for (const auto& [key, t] : sd.tensors) {
    const std::string k = canonical_key(key);
    if (!by_key.emplace(k, std::make_pair(key, t)).second) {
      problems.push_back("tensor '" + key + "' duplicates '" + by_key.at(k).first + "'");
    }
  }
  std::vector<std::pair<at::Tensor, at::Tensor>> copies;
  for (const auto& [name, p] : parameters()) {
    auto it = by_key.find(name);
    if (it == by_key.end()) {
      problems.push_back("missing tensor '" + name + "' (shape " + shape_str(p.sizes()) + ")");
      continue;
    }
    const at::Tensor& t = it->second.second;
    if (t.sizes() != p.sizes()) {
      problems.push_back("tensor '" + it->second.first + "' has shape " + shape_str(t.sizes()) + ", expected " +
                         shape_str(p.sizes()));
    } else if (!at::isFloatingType(t.scalar_type())) {
      problems.push_back("tensor '" + it->second.first + "' has dtype " + std::string(c10::toString(t.scalar_type())) +
                         ", expected a floating-point type");
    }
    copies.emplace_back(p, t);
    by_key.erase(it);
  }
  for (const auto& [k, entry] : by_key) {
    problems.push_back("unexpected tensor '" + entry.first + "' (no targeted linear layer has this name)");
  }
  if (!problems.empty()) throw socrates::Error(file.string() + ": " + join_some(problems, 6));
  at::NoGradGuard no_grad;
  for (auto& [p, t] : copies) p.copy_(t);
  if (logger_) logger_->info("lora: loaded {} tensors from {}", copies.size(), file.string());
}

void LoraAdapter::merge() {
  require_attached("merge()");
  for (Site& s : sites_) {
    s.site->merge_weight(s.delta->delta_weight());
    s.site->set_delta(nullptr);
  }
  sites_.clear();
  merged_ = true;
}

}  // namespace lora
