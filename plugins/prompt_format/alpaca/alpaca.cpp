// alpaca: the SOCRATES paper's Alpaca prompt.
//
//   ### Instruction:\n{instruction}\n\n### Input:\nDemographics: Age: 34; Gender: Female; ...\n
//   Scenario: {stimuli}\n\n### Response:\n
//
// followed by the response integer ("5") and the end-of-sequence token, which carry the loss.
#include <string>
#include <vector>

#include "../common/prompt_support.hpp"
#include "socrates/prompt_format.hpp"

namespace {

namespace ps = socrates::prompt_support;

constexpr const char* kName = "alpaca";
constexpr const char* kVersion = "1.0.0";

// The default instruction (a TOML basic string in the option table: no quotes or backslashes).
#define ALPACA_DEFAULT_INSTRUCTION                                                                   \
  "Predict how the person described below would answer the question in the scenario. Respond with " \
  "only their answer, in the format the scenario asks for."

// The template text. Changing any of it changes the fingerprint.
constexpr const char* kInstructionHeader = "### Instruction:\n";
constexpr const char* kInputHeader = "\n\n### Input:\n";
constexpr const char* kDemographicsLead = "Demographics: ";
constexpr const char* kDemographicsEnd = "\n";
constexpr const char* kScenarioLead = "Scenario: ";
constexpr const char* kResponseHeader = "\n\n### Response:\n";

const socrates_option kOptions[] = {
    {"instruction", SOCRATES_STRING,
     "\"" ALPACA_DEFAULT_INSTRUCTION "\"",
     "Text of the '### Instruction:' section", nullptr},
    {"eos_token", SOCRATES_STRING, "\"<|endoftext|>\"",
     "Token appended after the response, which also carries loss; must be a token of the model's tokenizer",
     nullptr},
    {"demographics", SOCRATES_STRING, "\"all\"",
     "all: list the participant's demographics in the input; none: leave them out (ablation)", "all|none"},
    {"separator", SOCRATES_STRING, "\"; \"", "Text between two demographic attributes", nullptr},
};

class Alpaca final : public socrates::PromptFormat {
 public:
  explicit Alpaca(const socrates::PluginContext& ctx)
      : host_(ps::require_host(ctx, kName)),
        cfg_(ctx.config),
        instruction_(cfg_.get<std::string>("instruction")),
        eos_(cfg_.get<std::string>("eos_token")),
        demographics_(cfg_.get<std::string>("demographics")),
        separator_(cfg_.get<std::string>("separator")) {
    if (instruction_.find_first_not_of(" \t\r\n") == std::string::npos)
      throw cfg_.error("instruction", "must not be empty");
    if (eos_.empty()) throw cfg_.error("eos_token", "must not be empty (e.g. \"<|endoftext|>\")");
    if (demographics_ != "all" && demographics_ != "none")
      throw cfg_.error("demographics", "must be one of all|none, got \"" + demographics_ + "\"");
    if (separator_.empty()) throw cfg_.error("separator", "must not be empty (e.g. \"; \")");
  }

  std::string render_prompt(const socrates::Example& ex) const override { return parts(ex).text(); }

  std::string render_response(const socrates::Example& ex) const override { return ps::response_text(kName, ex); }

  socrates::TokenizedExample tokenize(const socrates::Example& ex, const socrates::Tokenizer& tok,
                                      std::int64_t max_len) const override {
    const std::string response = ps::response_text(kName, ex);
    const std::int32_t eos = ps::require_token(
        tok, eos_, std::string(kName) + ": '" + cfg_.qualified("eos_token") + "' = \"" + eos_ + "\"",
        "set it to the model's end-of-sequence token (\"<|endoftext|>\" for Qwen2.5, \"<|end_of_text|>\" for "
        "Llama 3)");
    return ps::build_sequence(tok, kName, ex, parts(ex), response, eos, max_len);
  }

  std::vector<std::string> stop_strings() const override { return {eos_}; }

  std::string fingerprint() const override {
    ps::Fingerprint fp;
    fp.add("instruction", instruction_)
        .add("eos_token", eos_)
        .add("demographics", demographics_)
        .add("separator", separator_)
        .add("template", std::string(kInstructionHeader) + "{instruction}" + kInputHeader + kDemographicsLead +
                             "{demographics}" + kDemographicsEnd + kScenarioLead + "{stimuli}" + kResponseHeader +
                             "{response}{eos_token}")
        .add("labels", ps::demographic_label_table());
    return fp.str(host_, kName, kVersion);
  }

 private:
  const socrates::HostServices& host_;
  ps::PromptParts parts(const socrates::Example& ex) const {
    if (ex.stimuli.find_first_not_of(" \t\r\n") == std::string::npos)
      throw socrates::Error(ps::sample_prefix(kName, ex) + "has an empty stimuli field; the Alpaca prompt needs it");
    ps::PromptParts p;
    p.head = std::string(kInstructionHeader) + instruction_ + kInputHeader;
    if (demographics_ == "all") {
      const std::vector<std::string> items = ps::demographic_items(ex);
      if (!items.empty()) {
        p.keep = kDemographicsLead;
        for (std::size_t i = 0; i < items.size(); ++i) p.keep += (i ? separator_ : std::string()) + items[i];
        p.keep += kDemographicsEnd;
      }
    }
    p.keep += kScenarioLead;
    p.body = ex.stimuli;
    p.tail = kResponseHeader;
    return p;
  }

  socrates::ConfigSection cfg_;
  std::string instruction_, eos_, demographics_, separator_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::PromptFormat, Alpaca, "alpaca", "1.0.0",  // name and version: kName, kVersion
                "Alpaca prompt (### Instruction / ### Input with demographics and scenario / ### Response) with "
                "loss on the response and end-of-sequence token",
                kOptions);
