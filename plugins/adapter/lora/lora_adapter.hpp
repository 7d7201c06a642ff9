// The lora adapter: PEFT-compatible LoRA on the targeted linear layers of the decoder.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "lora_delta.hpp"
#include "options.hpp"
#include "socrates/adapter.hpp"

namespace lora {

class LoraAdapter final : public socrates::Adapter {
 public:
  /// Validates the options (ConfigError); allocates nothing.
  explicit LoraAdapter(const socrates::PluginContext& ctx);

  void attach(socrates::ModelView& model) override;
  std::vector<socrates::NamedTensor> parameters() const override;
  void set_training(bool training) override;
  void save(const std::filesystem::path& dir) const override;
  void load(const std::filesystem::path& dir) override;
  void merge() override;

 private:
  struct Site {
    socrates::LinearSite* site;
    at::Tensor a, b;
    std::shared_ptr<LoraDelta> delta;
  };
  void require_attached(const char* what) const;
  std::vector<std::string> chosen_names() const;
  void check_config(const std::filesystem::path& dir) const;

  socrates::ConfigSection cfg_;
  LoraOptions opts_;
  std::uint64_t seed_;
  const socrates::HostServices* host_;
  std::shared_ptr<spdlog::logger> logger_;
  std::vector<std::string> all_names_;  // every linear layer of the model, in order
  std::vector<Site> sites_;
  bool attached_ = false;
  bool merged_ = false;
  bool training_ = false;
};

}  // namespace lora
