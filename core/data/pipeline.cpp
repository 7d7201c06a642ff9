#include "data/pipeline.hpp"

#include "log/logging.hpp"
#include "socrates/dataset.hpp"
#include "socrates/prompt_format.hpp"

namespace fs = std::filesystem;

namespace socrates {

std::unique_ptr<BpeTokenizer> load_tokenizer(const ModelSettings& model, const fs::path& file) {
  if (model.tokenizer.empty()) {
    throw ConfigError(file.string() + ": set [model] tokenizer (a tokenizer.json) or [model] path (a folder that has one)");
  }
  return BpeTokenizer::from_file(model.tokenizer);
}

DataPipeline DataPipeline::open(const Experiment& exp, const fs::path& run_dir) {
  DataPipeline p;
  p.dataset = make_component<Dataset>(exp, "dataset", run_dir);
  p.format = make_component<PromptFormat>(exp, "prompt", run_dir);
  p.tokenizer = load_tokenizer(exp.settings().model, exp.source().file());
  p.settings = exp.settings().data;
  p.dataset->prepare();
  return p;
}

TokenizedSet DataPipeline::tokenize(Partition part) const {
  return TokenizedSet::build(*dataset, part, *format, *tokenizer, settings.max_seq_len, settings.cache_dir,
                             *host_logger());
}

}  // namespace socrates
