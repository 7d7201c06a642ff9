// What training, `data inspect` and evaluation share: the experiment's dataset, prompt
// format, tokenizer and tokenized partitions.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "config/experiment.hpp"
#include "data/token_cache.hpp"
#include "plugin/components.hpp"
#include "tokenizer/bpe_tokenizer.hpp"

namespace socrates {

struct DataPipeline {
  std::shared_ptr<Dataset> dataset;
  std::shared_ptr<PromptFormat> format;
  std::unique_ptr<BpeTokenizer> tokenizer;
  DataSettings settings;

  /// Creates the dataset (and prepares it), the prompt format and the tokenizer.
  static DataPipeline open(const Experiment& exp, const std::filesystem::path& run_dir);
  /// The tokenized partition (cached on disk).
  TokenizedSet tokenize(Partition part) const;
};

/// The tokenizer of [model]: `tokenizer`, or the model folder's tokenizer.json. `file` (the
/// experiment) is named when neither is set.
std::unique_ptr<BpeTokenizer> load_tokenizer(const ModelSettings& model, const std::filesystem::path& file);

}  // namespace socrates
