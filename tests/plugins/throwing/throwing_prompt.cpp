// throwing-prompt: "Q: <stimuli>\nA: <response>", and an exception from the method named by `throw_in`.
#include "socrates/prompt_format.hpp"
#include "throwing.hpp"

namespace {

const socrates_option kOptions[] = {
    SOCRATES_THROWING_OPTIONS("create|render_prompt|render_response|tokenize|stop_strings|fingerprint")};

class ThrowingPrompt final : public socrates::PromptFormat {
 public:
  explicit ThrowingPrompt(const socrates::PluginContext& ctx) : t_(ctx, "throwing-prompt") {}
  std::string render_prompt(const socrates::Example& ex) const override {
    t_.maybe_throw("render_prompt");
    return "Q: " + ex.stimuli + "\nA: ";
  }
  std::string render_response(const socrates::Example& ex) const override {
    t_.maybe_throw("render_response");
    return std::to_string(ex.response.value_or(0));
  }
  socrates::TokenizedExample tokenize(const socrates::Example& ex, const socrates::Tokenizer& tok,
                                      std::int64_t) const override {
    t_.maybe_throw("tokenize");
    socrates::TokenizedExample out;
    out.input_ids = tok.encode(render_prompt(ex));
    out.labels.assign(out.input_ids.size(), socrates::kIgnoreIndex);
    for (auto id : tok.encode(render_response(ex))) {
      out.input_ids.push_back(id);
      out.labels.push_back(id);
    }
    return out;
  }
  std::vector<std::string> stop_strings() const override {
    t_.maybe_throw("stop_strings");
    return {};
  }
  std::string fingerprint() const override {
    t_.maybe_throw("fingerprint");
    return "throwing-prompt";
  }

 private:
  throwing::Thrower t_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::PromptFormat, ThrowingPrompt, "throwing-prompt", "1.0.0",
                "Throws from a chosen method (tests)", kOptions);
