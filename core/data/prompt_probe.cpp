#include "data/prompt_probe.hpp"

#include <system_error>

#include "data/pipeline.hpp"
#include "log/logging.hpp"
#include "plugin/components.hpp"
#include "socrates/prompt_format.hpp"

namespace socrates {

namespace {

Example sample_example() {
  Example ex;
  ex.sample_id = 0;
  ex.participant = 1;
  ex.study_id = "probe";
  ex.demographic = {{"age", "34"},          {"gender", "Female"},      {"education", "College graduate"},
                    {"employment", "Employed"}, {"ethnicity", "White"}, {"income", "$50,000-$74,999"},
                    {"party_id", "Independent"}, {"ideology", "Moderate"}, {"location", "Ohio"}};
  ex.stimuli =
      "How much do you agree with the statement?\n\nOnly return an integer from 1 to 5, where 1 means strongly "
      "disagree and 5 means strongly agree.";
  ex.prompt = ex.stimuli;
  ex.response = 3;
  ex.scale_min = 1;
  ex.scale_max = 5;
  return ex;
}

}  // namespace

void probe_prompt_format(const Experiment& exp) {
  const auto uses = exp.plugins_in("prompt");
  const ModelSettings& model = exp.settings().model;
  std::error_code ec;
  if (uses.empty() || model.tokenizer.empty() || !std::filesystem::is_regular_file(model.tokenizer, ec)) return;
  auto format = make_component<PromptFormat>(exp, "prompt", {});
  auto tok = load_tokenizer(model, exp.source().file());
  try {
    format->tokenize(sample_example(), *tok, exp.settings().data.max_seq_len);
  } catch (const std::exception& e) {
    throw ConfigError(exp.source().file().string() + ": [prompt] plugin '" + uses.front()->name +
                      "' cannot tokenize a sample example with the tokenizer " + model.tokenizer.string() +
                      " and max_seq_len " + std::to_string(exp.settings().data.max_seq_len) + ": " + e.what());
  }
  host_logger()->debug("[prompt] '{}' tokenizes a sample example with {}", uses.front()->name, model.tokenizer.string());
}

}  // namespace socrates
