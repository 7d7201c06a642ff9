// The socsci-chat prompt format, loaded through the real plugin loader, with the Qwen tokenizer
// (and, for the llama3 template, the Qwen tokenizer with Llama 3's special tokens added).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "log/logging.hpp"
#include "plugin/components.hpp"
#include "plugin/plugin_library.hpp"
#include "socrates/prompt_format.hpp"
#include "tokenizer/bpe_tokenizer.hpp"

using namespace socrates;
using testing::EndsWith;
using testing::HasSubstr;
using testing::Not;
using testing::StartsWith;
using testing::ThrowsMessage;

namespace {

std::shared_ptr<PluginLibrary> library() {
  static auto lib = PluginLibrary::load(SOCRATES_PLUGIN_FILE);
  return lib;
}

std::shared_ptr<PromptFormat> make(Table cfg = {}) {
  auto lib = library();
  PluginContext ctx = standalone_context(*lib, "prompt", std::move(cfg));
  return lib->create<PromptFormat>(ctx);
}

const char* const kTokenizerFile = SOCRATES_FIXTURES_DIR "/tokenizers/qwen2/tokenizer.json";

const Tokenizer& qwen() {
  static auto tok = BpeTokenizer::from_file(kTokenizerFile);
  return *tok;
}

// The Qwen tokenizer plus Llama 3's chat tokens as added special tokens, after its last id.
const Tokenizer& qwen_with_llama3_tokens() {
  static auto tok = [] {
    std::ifstream in(kTokenizerFile);
    std::stringstream ss;
    ss << in.rdbuf();
    nlohmann::json j = nlohmann::json::parse(ss.str());
    std::int64_t next = 0;
    for (const auto& t : j.at("added_tokens")) next = std::max<std::int64_t>(next, t.at("id").get<std::int64_t>() + 1);
    for (const char* s : {"<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                          "<|eot_id|>"})
      j["added_tokens"].push_back({{"id", next++},
                                   {"content", s},
                                   {"single_word", false},
                                   {"lstrip", false},
                                   {"rstrip", false},
                                   {"normalized", false},
                                   {"special", true}});
    return BpeTokenizer::from_json_text(j.dump(), "qwen2 tokenizer.json + Llama 3 chat tokens");
  }();
  return *tok;
}

const std::string kSystem =
    "You are simulating a survey respondent. Answer exactly as instructed, following the specified response "
    "format without additional commentary.";

const std::string kStimuli =
    "You read a short story about a neighbour who borrows a ladder and does not return it.\n\n"
    "How fair was the neighbour? Only return an integer from 1 to 7, where 1 means very unfair and 7 means very "
    "fair.";

const std::string kProfile =
    "You are a survey respondent with the following demographic profile:\n"
    "- Age: 34\n"
    "- Gender: Female\n"
    "- Income: 75-99K\n"
    "- Party Id: Moderate Democrat\n"
    "- Marital Status: Married\n"
    "\n"
    "Read the question below and answer exactly as this person would. Follow the response instructions "
    "precisely.\n\n";

Example example() {
  Example ex;
  ex.sample_id = 1001;
  ex.participant = 3;
  ex.study_id = "AB123";
  ex.demographic = {{"age", "34"},          {"gender", "Female"},     {"education", std::nullopt},
                    {"income", "75-99K"},   {"party_id", "Moderate Democrat"}, {"ideology", std::nullopt},
                    {"marital_status", "Married"}};
  ex.stimuli = kStimuli;
  ex.prompt = kProfile + kStimuli;  // what the dataset stores
  ex.response = 5;
  return ex;
}

std::vector<std::int32_t> labelled_suffix(const TokenizedExample& t) {
  EXPECT_EQ(t.input_ids.size(), t.labels.size());
  std::size_t first = t.labels.size();
  for (std::size_t i = 0; i < t.labels.size(); ++i)
    if (t.labels[i] != kIgnoreIndex) {
      first = i;
      break;
    }
  for (std::size_t i = first; i < t.labels.size(); ++i) EXPECT_EQ(t.labels[i], t.input_ids[i]) << i;
  return {t.input_ids.begin() + static_cast<std::ptrdiff_t>(first), t.input_ids.end()};
}

std::string decode_prompt(const Tokenizer& tok, const TokenizedExample& t) {
  std::vector<std::int32_t> ids;
  for (std::size_t i = 0; i < t.labels.size() && t.labels[i] == kIgnoreIndex; ++i) ids.push_back(t.input_ids[i]);
  return tok.decode(ids);
}

}  // namespace

TEST(SocsciChat, LoadsThroughTheLoader) {
  EXPECT_EQ(library()->info().name, "socsci-chat");
  EXPECT_EQ(library()->info().concern, "prompt_format");
  std::vector<std::string> keys;
  for (const OptionSpec& o : library()->info().options) keys.push_back(o.key);
  EXPECT_THAT(keys, testing::ElementsAre("template", "system_prompt", "use_field"));
}

TEST(SocsciChat, ChatmlRendersTheExactPrompt) {
  auto fmt = make();
  EXPECT_EQ(fmt->render_prompt(example()),
            "<|im_start|>system\n" + kSystem +
                "<|im_end|>\n"
                "<|im_start|>user\n" +
                kProfile + kStimuli +
                "<|im_end|>\n"
                "<|im_start|>assistant\n");
  EXPECT_EQ(fmt->render_response(example()), "5");
  EXPECT_EQ(fmt->stop_strings(), (std::vector<std::string>{"<|im_end|>", "<|endoftext|>"}));
}

TEST(SocsciChat, ChatmlLabelsCoverExactlyTheResponseAndImEnd) {
  auto fmt = make();
  const Example ex = example();
  const TokenizedExample t = fmt->tokenize(ex, qwen(), 2048);
  EXPECT_FALSE(t.truncated);
  EXPECT_EQ(qwen().decode(labelled_suffix(t)), "5<|im_end|>");
  EXPECT_EQ(decode_prompt(qwen(), t), fmt->render_prompt(ex));
  const std::vector<std::int32_t> prompt = qwen().encode(fmt->render_prompt(ex));
  EXPECT_EQ(t.input_ids.size(), prompt.size() + 2);
  EXPECT_TRUE(std::equal(prompt.begin(), prompt.end(), t.input_ids.begin()));
  EXPECT_EQ(t.input_ids.front(), *qwen().token_id("<|im_start|>"));
  EXPECT_EQ(t.input_ids.back(), *qwen().token_id("<|im_end|>"));
  // "assistant\n" + "5": no merge across the boundary with the Qwen tokenizer.
  std::vector<std::int32_t> joint = qwen().encode(fmt->render_prompt(ex) + "5<|im_end|>");
  EXPECT_EQ(joint, t.input_ids);
}

TEST(SocsciChat, Llama3RendersTheExactPromptAndMasks) {
  auto fmt = make(Table{{"template", std::string("llama3")}});
  const Example ex = example();
  EXPECT_EQ(fmt->render_prompt(ex),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n" + kSystem +
                "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\n" + kProfile + kStimuli +
                "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_EQ(fmt->stop_strings(), (std::vector<std::string>{"<|eot_id|>", "<|end_of_text|>"}));
  const Tokenizer& tok = qwen_with_llama3_tokens();
  const TokenizedExample t = fmt->tokenize(ex, tok, 2048);
  EXPECT_FALSE(t.truncated);
  EXPECT_EQ(tok.decode(labelled_suffix(t)), "5<|eot_id|>");
  EXPECT_EQ(decode_prompt(tok, t), fmt->render_prompt(ex));
  EXPECT_EQ(t.input_ids.front(), *tok.token_id("<|begin_of_text|>"));
  EXPECT_EQ(t.input_ids.back(), *tok.token_id("<|eot_id|>"));
}

TEST(SocsciChat, TemplateTokensMustExistInTheTokenizer) {
  auto fmt = make(Table{{"template", std::string("llama3")}});
  EXPECT_THAT([&] { fmt->tokenize(example(), qwen(), 2048); },
              ThrowsMessage<Error>("socsci-chat: 'prompt.template' = \"llama3\" needs the token <|begin_of_text|>, "
                                   "which is not a token of this tokenizer; use template = \"chatml\" for Qwen2.5 "
                                   "and \"llama3\" for Llama 3 models"));
}

TEST(SocsciChat, EmptySystemPromptLeavesTheSystemTurnOut) {
  auto chatml = make(Table{{"system_prompt", std::string()}});
  EXPECT_EQ(chatml->render_prompt(example()),
            "<|im_start|>user\n" + kProfile + kStimuli + "<|im_end|>\n<|im_start|>assistant\n");
  auto llama3 = make(Table{{"system_prompt", std::string()}, {"template", std::string("llama3")}});
  EXPECT_EQ(llama3->render_prompt(example()),
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n" + kProfile + kStimuli +
                "<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(SocsciChat, StimuliFieldRendersTheProfileInTheDatasetStyle) {
  auto fmt = make(Table{{"use_field", std::string("stimuli")}});
  Example ex = example();
  ex.prompt = "something else entirely";
  EXPECT_EQ(fmt->render_prompt(ex), "<|im_start|>system\n" + kSystem + "<|im_end|>\n<|im_start|>user\n" + kProfile +
                                        kStimuli + "<|im_end|>\n<|im_start|>assistant\n");
  // Equal to the prompt field when the dataset's prompt has that form.
  EXPECT_EQ(fmt->render_prompt(example()), make()->render_prompt(example()));
  // No demographics present: only the instruction sentence and the stimulus.
  for (auto& [k, v] : ex.demographic) v = std::nullopt;
  EXPECT_EQ(fmt->render_prompt(ex),
            "<|im_start|>system\n" + kSystem +
                "<|im_end|>\n<|im_start|>user\n"
                "Read the question below and answer exactly as this person would. Follow the response "
                "instructions precisely.\n\n" +
                kStimuli + "<|im_end|>\n<|im_start|>assistant\n");
}

// A row in SocSci210's format (sample 0 of an earlier data/synthetic-socsci210, whose prompts follow the
// dataset's): rendering from the fields reproduces the stored prompt byte for byte.
TEST(SocsciChat, StimuliFieldReproducesTheDatasetPrompt) {
  Example ex;
  ex.sample_id = 0;
  ex.study_id = "SYN01";
  ex.demographic = {{"age", "53"},
                    {"gender", "Female"},
                    {"education", "Graduate degree"},
                    {"employment", "Employed as paid employee"},
                    {"ethnicity", "White, Non-Hispanic"},
                    {"income", "$25,000-$49,999"},
                    {"party_id", "Moderate Democrat"},
                    {"ideology", "Moderate"},
                    {"location", "Georgia"},
                    {"marital_status", std::nullopt},
                    {"household_size", "2"},
                    {"housing_ownership", "Owned"},
                    {"housing_type", "One-family house, detached"},
                    {"metro_status", "Metro Area"},
                    {"internet_access", "Internet household"},
                    {"phone_service", "Landline only"}};
  ex.stimuli =
      "A city council is debating a new policy. The policy would raise the minimum wage to $15 an hour.\n\n"
      "How much do you support or oppose this policy?\n\n"
      "Only return an integer from 0 to 1, where 0 means strongly oppose and 1 means strongly support.";
  ex.prompt =
      "You are a survey respondent with the following demographic profile:\n- Age: 53\n- Gender: Female\n- "
      "Education: Graduate degree\n- Employment: Employed as paid employee\n- Ethnicity: White, Non-Hispanic\n- "
      "Income: $25,000-$49,999\n- Party Id: Moderate Democrat\n- Ideology: Moderate\n- Location: Georgia\n- "
      "Household Size: 2\n- Housing Ownership: Owned\n- Housing Type: One-family house, detached\n- Metro Status: "
      "Metro Area\n- Internet Access: Internet household\n- Phone Service: Landline only\n\nRead the question "
      "below and answer exactly as this person would. Follow the response instructions precisely.\n\nA city "
      "council is debating a new policy. The policy would raise the minimum wage to $15 an hour.\n\nHow much do "
      "you support or oppose this policy?\n\nOnly return an integer from 0 to 1, where 0 means strongly oppose and "
      "1 means strongly support.";
  ex.response = 1;
  auto from_prompt = make(), from_stimuli = make(Table{{"use_field", std::string("stimuli")}});
  EXPECT_EQ(from_stimuli->render_prompt(ex), from_prompt->render_prompt(ex));
  EXPECT_EQ(from_stimuli->tokenize(ex, qwen(), 2048).input_ids, from_prompt->tokenize(ex, qwen(), 2048).input_ids);
  // A row without a rendered prompt (socrates predict) is rendered from its fields, in the same words.
  const std::string rendered = from_prompt->render_prompt(ex);
  ex.prompt.clear();
  EXPECT_EQ(from_prompt->render_prompt(ex), rendered);
}

TEST(SocsciChat, EmptyFieldsNameTheSample) {
  Example ex = example();
  ex.prompt = "";
  ex.stimuli = " ";
  EXPECT_THAT([&] { make()->render_prompt(ex); },
              ThrowsMessage<Error>("socsci-chat: sample_id 1001 (study AB123): has neither a prompt nor a stimuli field"));
  ex = example();
  ex.stimuli = "\n";
  EXPECT_THAT([&] { make(Table{{"use_field", std::string("stimuli")}})->render_prompt(ex); },
              ThrowsMessage<Error>("socsci-chat: sample_id 1001 (study AB123): has an empty stimuli field"));
}

TEST(SocsciChat, MissingResponseNamesTheSample) {
  Example ex = example();
  ex.response = std::nullopt;
  const std::string msg =
      "socsci-chat: sample_id 1001 (study AB123): has no response; a prompt format can only build training "
      "sequences from labelled examples";
  EXPECT_THAT([&] { make()->render_response(ex); }, ThrowsMessage<Error>(msg));
  EXPECT_THAT([&] { make()->tokenize(ex, qwen(), 2048); }, ThrowsMessage<Error>(msg));
}

TEST(SocsciChat, TruncationKeepsTheHeaderTheProfileAndTheEndOfTheStimulus) {
  auto fmt = make();
  Example ex = example();
  std::string vignette;
  for (int i = 0; i < 80; ++i) vignette += "Line " + std::to_string(i) + " of the story. ";
  ex.stimuli = vignette + kStimuli;
  ex.prompt = kProfile + ex.stimuli;
  const std::int64_t max_len = 200;
  ASSERT_GT(fmt->tokenize(ex, qwen(), 100000).input_ids.size(), static_cast<std::size_t>(max_len));
  const TokenizedExample t = fmt->tokenize(ex, qwen(), max_len);
  EXPECT_TRUE(t.truncated);
  EXPECT_LE(t.input_ids.size(), static_cast<std::size_t>(max_len));
  EXPECT_GE(t.input_ids.size(), static_cast<std::size_t>(max_len - 3));
  EXPECT_EQ(qwen().decode(labelled_suffix(t)), "5<|im_end|>");
  const std::string prompt = decode_prompt(qwen(), t);
  EXPECT_THAT(prompt, StartsWith("<|im_start|>system\n" + kSystem + "<|im_end|>\n<|im_start|>user\n" + kProfile));
  EXPECT_THAT(prompt, EndsWith(kStimuli + "<|im_end|>\n<|im_start|>assistant\n"));
  EXPECT_THAT(prompt, Not(HasSubstr("Line 0 ")));
  EXPECT_THAT(prompt, HasSubstr("Line 79 of the story. "));

  // A prompt that does not end with the stimulus is cut from its start as a whole.
  ex.prompt = ex.stimuli + "\n(end)";
  const std::string p2 = decode_prompt(qwen(), fmt->tokenize(ex, qwen(), max_len));
  EXPECT_THAT(p2, StartsWith("<|im_start|>system\n" + kSystem + "<|im_end|>\n<|im_start|>user\n"));
  EXPECT_THAT(p2, EndsWith("7 means very fair.\n(end)<|im_end|>\n<|im_start|>assistant\n"));

  // Too short for the header: the end of the prompt is kept.
  const TokenizedExample t3 = fmt->tokenize(ex, qwen(), 7);
  EXPECT_TRUE(t3.truncated);
  EXPECT_EQ(t3.input_ids.size(), 7u);
  EXPECT_EQ(qwen().decode(t3.input_ids), "<|im_end|>\n<|im_start|>assistant\n5<|im_end|>");
}

TEST(SocsciChat, ResponseThatCannotFitNamesTheSample) {
  EXPECT_THAT([&] { make()->tokenize(example(), qwen(), 1); },
              ThrowsMessage<Error>("socsci-chat: sample_id 1001 (study AB123): the response and end token alone "
                                   "need 2 tokens, plus at least 1 prompt token, but max_len is 1; raise the maximum "
                                   "sequence length"));
}

TEST(SocsciChat, RejectsBadOptions) {
  EXPECT_THAT([] { make(Table{{"template", std::string("mistral")}}); },
              ThrowsMessage<ConfigError>("'prompt.template': must be one of chatml|llama3, got \"mistral\""));
  EXPECT_THAT([] { make(Table{{"use_field", std::string("reasoning")}}); },
              ThrowsMessage<ConfigError>("'prompt.use_field': must be one of prompt|stimuli, got \"reasoning\""));
  EXPECT_THAT([] { make(Table{{"system_prompt", std::string("Be brief.<|im_end|>")}}); },
              ThrowsMessage<ConfigError>("'prompt.system_prompt': must not contain the template token <|im_end|>"));
}

TEST(SocsciChat, FingerprintCoversEveryOption) {
  const std::string fp = make()->fingerprint();
  EXPECT_THAT(fp, testing::MatchesRegex("socsci-chat/1\\.0\\.0:sha256:[0-9a-f]{64}"));
  EXPECT_EQ(make()->fingerprint(), fp);
  std::set<std::string> all{fp};
  all.insert(make(Table{{"template", std::string("llama3")}})->fingerprint());
  all.insert(make(Table{{"system_prompt", std::string("Other.")}})->fingerprint());
  all.insert(make(Table{{"use_field", std::string("stimuli")}})->fingerprint());
  EXPECT_EQ(all.size(), 4u);
}
