// The host's typed settings: one struct per host section, parsed once from the validated
// section and checked there (errors name file:line). Functions take the struct they use,
// never the whole experiment. Keys, defaults and docs stay in host_sections() (experiment.cpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "quant/nf4.hpp"
#include "socrates/config.hpp"
#include "socrates/dataset.hpp"

namespace socrates {

class Experiment;

/// [run]
struct RunSettings {
  std::string name;
  std::filesystem::path output_dir;
  std::uint64_t seed = 42;
  c10::Device device{c10::kCPU};

  static RunSettings from(const ConfigSection& s);
};

/// [plugins]
struct PluginSettings {
  std::vector<std::filesystem::path> paths;

  static PluginSettings from(const ConfigSection& s);
};

/// [model]
struct ModelSettings {
  std::filesystem::path path;   // Hugging Face folder; empty: random weights from `shape`
  std::filesystem::path shape;  // config.json (or a folder with one) for random weights
  /// The tokenizer.json to use: [model] tokenizer, else <path>/tokenizer.json, else empty.
  std::filesystem::path tokenizer;
  c10::ScalarType dtype = c10::kBFloat16;  // compute dtype, also of 4-bit weights
  /// 4-bit quantisation of the decoder's linear weights on load; nullopt: none.
  std::optional<quant::QuantOptions> quantize;
  bool fused_kernels = true;     // fused CUDA SwiGLU and RoPE (CausalLM::set_fused_kernels)
  bool cudnn_attention = false;  // let SDPA use cuDNN's attention on CUDA (see use_cudnn_attention)
  std::string origin;  // "file:line" of the section, for errors about the model

  static ModelSettings from(const ConfigSection& s);
};

/// [data]
struct DataSettings {
  std::int64_t max_seq_len = 2048;
  std::filesystem::path cache_dir;
  std::int64_t inspect_examples = 2;

  static DataSettings from(const ConfigSection& s);
};

/// [training]
struct TrainingSettings {
  std::int64_t global_batch_size = 256;
  std::int64_t micro_batch_size = 8;
  double epochs = 1.0;
  std::int64_t max_steps = 0;
  double lr = 1e-5;
  std::string schedule = "cosine";
  double warmup_ratio = 0.05;
  double min_lr_ratio = 0.0;
  double max_grad_norm = 1.0;
  bool gradient_checkpointing = true;
  std::int64_t checkpoint_layers = -1;  // -1: all
  bool length_bucketing = true;
  std::int64_t eval_every = 500;
  std::int64_t eval_max_examples = 0;
  std::int64_t sample_generations = 3;
  std::int64_t log_every = 10;
  std::int64_t profile_start = 5;  // 0-based step where profiling begins
  std::int64_t profile_steps = 0;  // 0: no profile

  static TrainingSettings from(const ConfigSection& s);
};

/// [checkpoint]
struct CheckpointSettings {
  std::int64_t save_every = 0;
  bool continue_on_error = false;  // on_save_error = "continue"

  static CheckpointSettings from(const ConfigSection& s);
};

enum class PredictMode {
  sample,        // generate an answer (temperature, top-p) and parse the number out of it
  distribution,  // score every integer of the row's scale exactly; no sampling, no parsing
};

/// How predictions are made ([evaluation] sampling keys, plus [data] max_seq_len).
struct PredictOptions {
  PredictMode mode = PredictMode::sample;
  double temperature = 0.6;  // the paper's sampling settings
  double top_p = 0.9;
  std::uint64_t seed = 0;  // batch i samples with a seed derived from (seed, i)
  std::int64_t max_new_tokens = 16;
  /// Prompts per forward (sample mode and the prompt pass of distribution mode). In
  /// distribution mode an options pass holds at most batch_size x max_len cached positions.
  std::int64_t batch_size = 16;
  /// Distribution mode: scales with more levels than this fall back to sampling.
  std::int64_t max_levels = 101;
  /// Longest prompt + answer in tokens; longer prompts are cut by the prompt format as in training.
  std::int64_t max_len = 2048;
};

/// [evaluation]
struct EvaluationSettings {
  PredictOptions predict;
  Partition split = Partition::validation;  // during training
  Partition final_split = Partition::test;  // after training and `socrates eval`
  bool during_training = true;
  bool compare_base = true;
  std::int64_t max_examples = 0;

  /// `run_seed` replaces seed = -1; `max_len` is [data] max_seq_len.
  static EvaluationSettings from(const ConfigSection& s, std::uint64_t run_seed, std::int64_t max_len);
};

/// Every host section of an experiment, parsed once.
struct HostSettings {
  RunSettings run;
  PluginSettings plugins;
  ModelSettings model;
  DataSettings data;
  TrainingSettings training;
  CheckpointSettings checkpoint;
  EvaluationSettings evaluation;
  /// The values a resume must find unchanged ("training.lr" -> "1e-05", "adapter.r" -> "16"):
  /// the [training] keys that change the updates, the seed, max_seq_len, the model dtype and
  /// every adapter, optimizer and objective option.
  std::map<std::string, std::string> update_settings;
  /// The declared defaults of the plugin options among them, as TOML text.
  std::map<std::string, std::string> update_defaults;

  static HostSettings from(const Experiment& exp);
};

Partition parse_partition(const std::string& name);

}  // namespace socrates
