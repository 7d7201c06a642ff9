// What training, `data inspect` and evaluation share: the experiment's dataset, prompt
// format, tokenizer, model and tokenized partitions, built from a validated Experiment.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "config/experiment.hpp"
#include "data/token_cache.hpp"
#include "model/causal_lm.hpp"
#include "tokenizer/bpe_tokenizer.hpp"

namespace socrates {

/// The component of `slot` ("dataset", "adapter", ...), created through its plugin.
/// Throws ConfigError if the experiment has no such section and `required`.
template <class Interface>
std::shared_ptr<Interface> make_component(const Experiment& exp, const std::string& slot,
                                          const std::filesystem::path& run_dir, bool required = true);

struct DataPipeline {
  std::shared_ptr<Dataset> dataset;
  std::shared_ptr<PromptFormat> format;
  std::unique_ptr<BpeTokenizer> tokenizer;
  std::int64_t max_seq_len = 0;
  std::filesystem::path cache_dir;

  /// Creates the dataset (and prepares it), the prompt format and the tokenizer.
  static DataPipeline open(const Experiment& exp, const std::filesystem::path& run_dir);
  /// The tokenized partition (cached on disk).
  TokenizedSet tokenize(Partition part) const;
};

/// The tokenizer named by [model] tokenizer, or the model folder's tokenizer.json.
std::unique_ptr<BpeTokenizer> load_tokenizer(const Experiment& exp);

/// The model of [model]: loaded from `path`, or random from `shape`, on [run] device.
std::unique_ptr<CausalLM> load_model(const Experiment& exp);

}  // namespace socrates
