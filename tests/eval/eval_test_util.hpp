// Shared pieces of the evaluation tests: a temporary directory with a small experiment (a
// random Qwen2-shaped model, the Qwen2.5 tokenizer, the real alpaca plugin), dataset-like
// examples, and the NAIVE option scoring the shared-prefix implementation must match.
#pragma once

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <ATen/ops/log_softmax.h>
#include <ATen/ops/tensor.h>
#include <ATen/core/grad_mode.h>

#include "config/experiment.hpp"
#include "plugin/plugin_registry.hpp"
#include "eval/eval_model.hpp"
#include "log/logging.hpp"
#include "socrates/example.hpp"

namespace socrates::eval_test {

namespace fs = std::filesystem;

inline fs::path make_temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("socrates-eval-" + name + "-" + std::to_string(std::random_device{}()));
  fs::create_directories(d);
  return d;
}

/// A 2-layer Qwen2 shape over the Qwen2.5 vocabulary. `init` is the weights' std: 0.2 gives
/// a peaked (confident) random model, 0.02 a nearly uniform one.
inline void write_shape(const fs::path& file, double init) {
  std::ofstream(file) << R"({"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_act": "silu",
  "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
  "num_key_value_heads": 2, "vocab_size": 151936, "max_position_embeddings": 4096, "rms_norm_eps": 1e-06,
  "rope_theta": 1000000.0, "tie_word_embeddings": true, "torch_dtype": "float32", "bos_token_id": 151643,
  "eos_token_id": 151643, "initializer_range": )"
                      << init << "}\n";
}

/// Writes <dir>/exp.toml (and its shape.json unless `shape` names one; creates dir): alpaca
/// prompts by default, float32 on the CPU by default, seed 7.
inline fs::path write_experiment(const fs::path& dir, double init = 0.2, const std::string& prompt = "alpaca",
                                 const std::string& device = "cpu", const std::string& dtype = "float32",
                                 const std::string& shape = "") {
  fs::create_directories(dir);
  if (shape.empty()) write_shape(dir / "shape.json", init);
  const fs::path exp = dir / "exp.toml";
  std::ofstream(exp) << "[run]\nname = \"predict-test\"\noutput_dir = \"" << (dir / "runs").string()
                     << "\"\nseed = 7\ndevice = \"" << device << "\"\n\n[model]\nshape = \""
                     << (shape.empty() ? (dir / "shape.json").string() : shape)
                     << "\"\ntokenizer = \"" << SOCRATES_SOURCE_DIR << "/data/tokenizers/qwen2.5/tokenizer.json"
                     << "\"\ndtype = \"" << dtype << "\"\n\n[data]\nmax_seq_len = 512\n\n[prompt]\nplugin = \"" << prompt
                     << "\"\n";
  return exp;
}

inline Experiment load(const fs::path& exp_file) {
  PluginRegistry registry;
  return Experiment::resolve(ExperimentFile::load(exp_file), registry);
}

/// A dataset-like row: the demographics of participant `p`, a question on the scale [lo, hi].
inline Example example(std::int64_t p, std::optional<std::int64_t> lo, std::optional<std::int64_t> hi) {
  Example ex;
  ex.sample_id = 100 + p;
  ex.participant = p;
  ex.study_id = "T" + std::to_string(p % 3);
  ex.condition_num = p % 2;
  ex.task_num = 1 + p % 4;
  ex.demographic = {{"age", std::to_string(20 + 7 * p)}, {"gender", p % 2 ? "Female" : "Male"},
                    {"education", p % 3 ? std::optional<std::string>("College graduate") : std::nullopt},
                    {"party_id", std::string(static_cast<std::size_t>(p % 4) * 6, 'x') + "Independent"}};
  ex.stimuli = "A city council is debating a new policy on bike lanes. How much do you support it?";
  if (lo && hi) ex.stimuli += " Only return an integer from " + std::to_string(*lo) + " to " + std::to_string(*hi) + ".";
  ex.response = lo ? *lo : 3;
  if (lo) ex.scale_min = static_cast<double>(*lo);
  if (hi) ex.scale_max = static_cast<double>(*hi);
  return ex;
}

/// log P(answer | prompt) the slow way: one full forward (no cache, no padding) over
/// prompt + answer; the sum of the log-probabilities of the answer's tokens.
inline double naive_logprob(const CausalLM& model, const std::vector<std::int64_t>& prompt,
                            const std::vector<std::int64_t>& answer) {
  at::NoGradGuard no_grad;
  std::vector<std::int64_t> ids = prompt;
  ids.insert(ids.end(), answer.begin(), answer.end());
  const auto n = static_cast<std::int64_t>(ids.size()), p = static_cast<std::int64_t>(prompt.size());
  at::Tensor hidden = model.forward(at::tensor(ids).view({1, n}));
  at::Tensor lp = at::log_softmax(model.logits(hidden.narrow(1, p - 1, n - p)).to(at::kDouble), -1);
  double sum = 0;
  for (std::int64_t t = 0; t < n - p; ++t) sum += lp[0][t][ids[static_cast<std::size_t>(p + t)]].item<double>();
  return sum;
}

/// The training sequence of `ex` with answer k, split into (unlabelled prompt, labelled answer).
inline std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> split(const PromptFormat& format,
                                                                             const Tokenizer& tok, Example ex,
                                                                             std::int64_t k, std::int64_t max_len) {
  ex.response = k;
  const TokenizedExample te = format.tokenize(ex, tok, max_len);
  std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> out;
  for (std::size_t i = 0; i < te.input_ids.size(); ++i)
    (te.labels[i] == kIgnoreIndex ? out.first : out.second).push_back(te.input_ids[i]);
  return out;
}

/// The model's exact distribution over answers lo..hi (each answer's sequence as the format
/// builds it), by naive full forwards; also the unnormalised mass.
inline std::vector<double> naive_distribution(const CausalLM& model, const PromptFormat& format, const Tokenizer& tok,
                                              const Example& ex, std::int64_t lo, std::int64_t hi,
                                              std::int64_t max_len, double* mass = nullptr) {
  std::vector<double> lp;
  for (std::int64_t k = lo; k <= hi; ++k) {
    auto [prompt, answer] = split(format, tok, ex, k, max_len);
    lp.push_back(naive_logprob(model, prompt, answer));
  }
  double total = 0;
  for (double v : lp) total += std::exp(v);
  if (mass) *mass = total;
  for (double& v : lp) v = std::exp(v) / total;
  return lp;
}

}  // namespace socrates::eval_test
