// test-prompt: "Q: <stimuli>\nA: " followed by the answer and an end-of-turn token.
#include "socrates/prompt_format.hpp"

namespace {

const socrates_option kOptions[] = {
    {"eos", SOCRATES_STRING, "\"<|im_end|>\"", "end-of-turn token", nullptr},
};

class TestPrompt final : public socrates::PromptFormat {
 public:
  explicit TestPrompt(const socrates::PluginContext& ctx) : eos_(ctx.config.get<std::string>("eos")) {}

  std::string render_prompt(const socrates::Example& ex) const override { return "Q: " + ex.stimuli + "\nA: "; }
  std::string render_response(const socrates::Example& ex) const override {
    if (!ex.response) throw socrates::Error("test-prompt: example " + std::to_string(ex.sample_id) + " has no response");
    return std::to_string(*ex.response);
  }
  socrates::TokenizedExample tokenize(const socrates::Example& ex, const socrates::Tokenizer& tok,
                                      std::int64_t max_len) const override {
    auto eos = tok.token_id(eos_);
    if (!eos) throw socrates::Error("test-prompt: the tokenizer has no token " + eos_);
    auto prompt = tok.encode(render_prompt(ex));
    auto answer = tok.encode(render_response(ex));
    answer.push_back(*eos);
    const auto budget = max_len - static_cast<std::int64_t>(answer.size());
    if (budget < 0) throw socrates::Error("test-prompt: the answer does not fit in max_len " + std::to_string(max_len));
    socrates::TokenizedExample out;
    if (static_cast<std::int64_t>(prompt.size()) > budget) {
      prompt.erase(prompt.begin(), prompt.end() - budget);
      out.truncated = true;
    }
    out.input_ids = prompt;
    out.input_ids.insert(out.input_ids.end(), answer.begin(), answer.end());
    out.labels.assign(prompt.size(), socrates::kIgnoreIndex);
    out.labels.insert(out.labels.end(), answer.begin(), answer.end());
    return out;
  }
  std::vector<std::string> stop_strings() const override { return {eos_}; }
  std::string fingerprint() const override { return "test-prompt:" + eos_; }

 private:
  std::string eos_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::PromptFormat, TestPrompt, "test-prompt", "1.0.0", "Q/A prompt for tests", kOptions);
