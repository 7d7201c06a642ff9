// Shared by the lora tests: creating the plugin through the real loader, and errors.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "log/logging.hpp"
#include "plugin/plugin_library.hpp"
#include "plugin/host_services.hpp"
#include "socrates/adapter.hpp"
#include "socrates/optimizer.hpp"

namespace lora_test {

inline std::shared_ptr<socrates::PluginLibrary> lora_library() {
  static auto lib = socrates::PluginLibrary::load(SOCRATES_PLUGIN_FILE);
  return lib;
}

/// Fills the schema's defaults for keys `cfg` lacks, as the host does.
inline socrates::PluginContext context_for(socrates::PluginLibrary& lib, const std::string& section,
                                           socrates::Table cfg, std::uint64_t seed = 0) {
  for (const socrates::OptionSpec& o : lib.info().options)
    if (!cfg.count(o.key)) cfg.emplace(o.key, *o.default_value);
  socrates::PluginContext ctx;
  ctx.logger = socrates::host_logger();
  ctx.config = socrates::ConfigSection(section, cfg);
  ctx.seed = seed;
  ctx.host = &socrates::host_services();
  return ctx;
}

inline std::shared_ptr<socrates::Adapter> make_lora(socrates::Table cfg = {}, std::uint64_t seed = 0) {
  auto lib = lora_library();
  return lib->create<socrates::Adapter>(context_for(*lib, "adapter", std::move(cfg), seed));
}

inline std::shared_ptr<socrates::Optimizer> make_adamw(socrates::Table cfg) {
  static auto lib = socrates::PluginLibrary::load(SOCRATES_ADAMW_PLUGIN_FILE);
  return lib->create<socrates::Optimizer>(context_for(*lib, "optimizer", std::move(cfg)));
}

inline nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  return nlohmann::json::parse(in);
}

inline std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// max|got - want| / max|want| in double (max|got - want| when want is all zero).
inline double rel_error(const at::Tensor& got, const at::Tensor& want) {
  const at::Tensor g = got.detach().cpu().to(at::kDouble), w = want.detach().cpu().to(at::kDouble);
  const double diff = (g - w).abs().max().item<double>();
  const double scale = w.abs().max().item<double>();
  return scale == 0.0 ? diff : diff / scale;
}

/// The lora options that reproduce a PEFT adapter_config.json.
inline socrates::Table options_from_peft(const nlohmann::json& c) {
  socrates::Table t;
  t.emplace("r", c.at("r").get<std::int64_t>());
  t.emplace("alpha", c.at("lora_alpha").get<double>());
  t.emplace("dropout", c.value("lora_dropout", 0.0));
  t.emplace("rslora", c.value("use_rslora", false));
  const auto& tm = c.at("target_modules");
  if (tm.is_string()) {
    const std::string s = tm.get<std::string>();
    if (s == "all-linear") {
      t.emplace("target_modules", socrates::Array{socrates::Value("all-linear")});
    } else {
      t.emplace("target_regex", s);
    }
  } else {
    socrates::Array names;
    for (const auto& n : tm) names.emplace_back(n.get<std::string>());
    t.emplace("target_modules", names);
  }
  return t;
}

/// A fresh empty directory under the system temp dir.
inline std::filesystem::path temp_dir(const std::string& tag) {
  static int counter = 0;
  auto d = std::filesystem::temp_directory_path() /
           ("socrates-lora-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace lora_test
