// Concern: adapter. Adds trainable parameters to a frozen model (LoRA; QLoRA also swaps the
// frozen base of each targeted layer for a quantised one).
#pragma once

#include <filesystem>
#include <vector>

#include "socrates/model.hpp"
#include "socrates/plugin.hpp"
#include "socrates/tensor.hpp"

namespace socrates {

class SOCRATES_API Adapter : public Component {
 public:
  static constexpr const char* kConcern = "adapter";

  /// Wraps the targeted linear layers of `model` and creates the trainable parameters on
  /// the model's device. Throws ConfigError if a target matches nothing. Called once.
  virtual void attach(ModelView& model) = 0;
  /// The trainable parameters (requires_grad), named with PEFT keys
  /// ("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"). Stable order.
  virtual std::vector<NamedTensor> parameters() const = 0;
  /// Training mode (dropout on) or evaluation mode.
  virtual void set_training(bool training) = 0;
  /// Writes the adapter in PEFT format (adapter_config.json + adapter_model.safetensors).
  virtual void save(const std::filesystem::path& dir) const = 0;
  /// Loads weights saved by save() or by PEFT into the attached parameters; throws on
  /// missing or mis-shaped tensors, naming them.
  virtual void load(const std::filesystem::path& dir) = 0;
  /// Folds the adapter into the base weights and removes its deltas (for export --merge).
  virtual void merge() = 0;
};

}  // namespace socrates
