// socsci-chat: SocSci210's own prompt inside the model's chat template, with the paper's
// system prompt. The response integer and the end-of-turn token carry the loss.
//
//   chatml: <|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n{prompt}<|im_end|>\n
//           <|im_start|>assistant\n{response}<|im_end|>
//   llama3: <|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n{system}<|eot_id|>
//           <|start_header_id|>user<|end_header_id|>\n\n{prompt}<|eot_id|>
//           <|start_header_id|>assistant<|end_header_id|>\n\n{response}<|eot_id|>
#include <string>
#include <vector>

#include "../common/prompt_support.hpp"
#include "socrates/prompt_format.hpp"

namespace {

namespace ps = socrates::prompt_support;

constexpr const char* kName = "socsci-chat";
constexpr const char* kVersion = "1.0.0";

// The paper's system prompt (a TOML basic string in the option table: no quotes or backslashes).
#define SOCSCI_CHAT_SYSTEM_PROMPT                                                               \
  "You are simulating a survey respondent. Answer exactly as instructed, following the specified " \
  "response format without additional commentary."

// The user turn rendered from the fields (use_field = "stimuli"), in SocSci210's style.
constexpr const char* kProfileLead = "You are a survey respondent with the following demographic profile:\n";
constexpr const char* kProfileItem = "- ";
constexpr const char* kProfileEnd = "\n";
constexpr const char* kReadQuestion =
    "Read the question below and answer exactly as this person would. Follow the response instructions "
    "precisely.\n\n";

struct ChatTemplate {
  const char* name;
  const char* begin;          // before everything
  const char* system_open;    // then the system prompt
  const char* system_close;
  const char* user_open;      // then the user content
  const char* user_close;     // then
  const char* assistant_open; // then the response
  const char* end;            // the end-of-turn token after the response
  const char* base_eos;       // the base model's end of text (a second stop string)
  const char* special[5];     // tokens the template writes (each must be one token), nullptr-ended
};

constexpr ChatTemplate kChatml{"chatml",
                           "",
                           "<|im_start|>system\n",
                           "<|im_end|>\n",
                           "<|im_start|>user\n",
                           "<|im_end|>\n",
                           "<|im_start|>assistant\n",
                           "<|im_end|>",
                           "<|endoftext|>",
                           {"<|im_start|>", "<|im_end|>", nullptr}};

constexpr ChatTemplate kLlama3{"llama3",
                           "<|begin_of_text|>",
                           "<|start_header_id|>system<|end_header_id|>\n\n",
                           "<|eot_id|>",
                           "<|start_header_id|>user<|end_header_id|>\n\n",
                           "<|eot_id|>",
                           "<|start_header_id|>assistant<|end_header_id|>\n\n",
                           "<|eot_id|>",
                           "<|end_of_text|>",
                           {"<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>", nullptr}};

const socrates_option kOptions[] = {
    {"template", SOCRATES_STRING, "\"chatml\"",
     "Chat template of the model: chatml (Qwen2.5) or llama3 (Llama 3 Instruct)", "chatml|llama3"},
    {"system_prompt", SOCRATES_STRING, "\"" SOCSCI_CHAT_SYSTEM_PROMPT "\"",
     "System turn (the paper's by default); empty leaves the system turn out", nullptr},
    {"use_field", SOCRATES_STRING, "\"prompt\"",
     "prompt: the dataset's rendered prompt is the user turn (rows without one are rendered from the "
     "fields); stimuli: render demographics + stimuli here",
     "prompt|stimuli"},
};

class SocsciChat final : public socrates::PromptFormat {
 public:
  explicit SocsciChat(const socrates::PluginContext& ctx)
      : host_(ps::require_host(ctx, kName)),
        cfg_(ctx.config),
        template_name_(cfg_.get<std::string>("template")),
        system_(cfg_.get<std::string>("system_prompt")),
        use_field_(cfg_.get<std::string>("use_field")) {
    if (template_name_ == "chatml") {
      tpl_ = &kChatml;
    } else if (template_name_ == "llama3") {
      tpl_ = &kLlama3;
    } else {
      throw cfg_.error("template", "must be one of chatml|llama3, got \"" + template_name_ + "\"");
    }
    if (use_field_ != "prompt" && use_field_ != "stimuli")
      throw cfg_.error("use_field", "must be one of prompt|stimuli, got \"" + use_field_ + "\"");
    for (const char* const* t = tpl_->special; *t; ++t)
      if (system_.find(*t) != std::string::npos)
        throw cfg_.error("system_prompt", std::string("must not contain the template token ") + *t);
  }

  std::string render_prompt(const socrates::Example& ex) const override { return parts(ex).text(); }

  std::string render_response(const socrates::Example& ex) const override { return ps::response_text(kName, ex); }

  socrates::TokenizedExample tokenize(const socrates::Example& ex, const socrates::Tokenizer& tok,
                                      std::int64_t max_len) const override {
    const std::string response = ps::response_text(kName, ex);
    const std::string hint = "use template = \"chatml\" for Qwen2.5 and \"llama3\" for Llama 3 models";
    std::int32_t end = -1;
    for (const char* const* it = tpl_->special; *it; ++it) {
      const char* t = *it;
      const std::int32_t id = ps::require_token(tok, t,
                                                std::string(kName) + ": '" + cfg_.qualified("template") + "' = \"" +
                                                    tpl_->name + "\" needs the token " + t + ", which",
                                                hint);
      if (std::string_view(t) == tpl_->end) end = id;
    }
    return ps::build_sequence(tok, kName, ex, parts(ex), response, end, max_len);
  }

  std::vector<std::string> stop_strings() const override { return {tpl_->end, tpl_->base_eos}; }

  std::string fingerprint() const override {
    ps::Fingerprint fp;
    fp.add("template", template_name_)
        .add("system_prompt", system_)
        .add("use_field", use_field_)
        .add("template_text", std::string(tpl_->begin) + tpl_->system_open + "{system}" + tpl_->system_close +
                                  tpl_->user_open + "{user}" + tpl_->user_close + tpl_->assistant_open +
                                  "{response}" + tpl_->end)
        .add("stop", std::string(tpl_->end) + "|" + tpl_->base_eos);
    if (use_field_ == "stimuli")
      fp.add("user_text", std::string(kProfileLead) + kProfileItem + "{label}: {value}" + kProfileEnd + "\n" +
                              kReadQuestion + "{stimuli}")
          .add("labels", ps::demographic_label_table(ps::dataset_label));
    return fp.str(host_, kName, kVersion);
  }

 private:
  const socrates::HostServices& host_;
  ps::PromptParts parts(const socrates::Example& ex) const {
    ps::PromptParts p;
    p.head = tpl_->begin;
    if (!system_.empty()) p.head += std::string(tpl_->system_open) + system_ + tpl_->system_close;
    p.head += tpl_->user_open;
    const auto blank = [](const std::string& t) { return t.find_first_not_of(" \t\r\n") == std::string::npos; };
    if (use_field_ == "prompt" && !blank(ex.prompt)) {
      // The dataset's prompt ends with the stimulus: truncation cuts the stimulus's start
      // first and keeps the demographic profile before it.
      const std::string& s = ex.stimuli;
      if (!s.empty() && s.size() < ex.prompt.size() && ex.prompt.ends_with(s)) {
        p.keep = ex.prompt.substr(0, ex.prompt.size() - s.size());
        p.body = s;
      } else {
        p.body = ex.prompt;
      }
    } else {
      // From the fields, in SocSci210's words: use_field = "stimuli", or a row without a
      // rendered prompt (socrates predict, a dataset of demographics and stimuli only).
      if (blank(ex.stimuli))
        throw socrates::Error(ps::sample_prefix(kName, ex) + (use_field_ == "prompt"
                                                                  ? "has neither a prompt nor a stimuli field"
                                                                  : "has an empty stimuli field"));
      const std::vector<std::string> items = ps::demographic_items(ex, ps::dataset_label);
      if (!items.empty()) {
        p.keep = kProfileLead;
        for (const std::string& item : items) p.keep += kProfileItem + item + kProfileEnd;
        p.keep += "\n";
      }
      p.keep += kReadQuestion;
      p.body = ex.stimuli;
    }
    p.tail = std::string(tpl_->user_close) + tpl_->assistant_open;
    return p;
  }

  socrates::ConfigSection cfg_;
  std::string template_name_, system_, use_field_;
  const ChatTemplate* tpl_ = nullptr;
};

}  // namespace

SOCRATES_PLUGIN(socrates::PromptFormat, SocsciChat, "socsci-chat", "1.0.0",  // name and version: kName, kVersion
                "SocSci210's own prompt in the model's chat template (chatml or llama3) with the paper's system "
                "prompt; loss on the response and end-of-turn token",
                kOptions);
