// The alpaca prompt format, loaded through the real plugin loader, with the Qwen tokenizer.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "../common/prompt_support.hpp"
#include "log/logging.hpp"
#include "plugin/components.hpp"
#include "plugin/host_services.hpp"
#include "plugin/plugin_library.hpp"
#include "socrates/prompt_format.hpp"
#include "tokenizer/bpe_tokenizer.hpp"

using namespace socrates;
using testing::HasSubstr;
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

const Tokenizer& qwen() {
  static auto tok = BpeTokenizer::from_file(SOCRATES_FIXTURES_DIR "/tokenizers/qwen2/tokenizer.json");
  return *tok;
}

const std::string kQuestion =
    "How much do you agree that the city should build more bike lanes? Only return an integer from 1 to 7, "
    "where 1 means strongly disagree and 7 means strongly agree.";

Example example() {
  Example ex;
  ex.sample_id = 42;
  ex.participant = 7;
  ex.study_id = "S0001";
  ex.demographic = {{"age", "34"},
                    {"gender", "Female"},
                    {"education", std::nullopt},
                    {"employment", ""},
                    {"ethnicity", "White"},
                    {"income", "75-99K"},
                    {"party_id", "Moderate Democrat"},
                    {"ideology", std::nullopt},
                    {"marital_status", "Married"}};
  ex.stimuli = kQuestion;
  ex.prompt = "(the dataset's own prompt, unused by alpaca)";
  ex.response = 5;
  return ex;
}

const std::string kInstruction =
    "Predict how the person described below would answer the question in the scenario. Respond with only their "
    "answer, in the format the scenario asks for.";

// The labelled part of a sequence, and checks that it is one contiguous suffix whose labels
// equal its ids.
std::vector<std::int32_t> labelled_suffix(const TokenizedExample& t) {
  EXPECT_EQ(t.input_ids.size(), t.labels.size());
  std::size_t first = t.labels.size();
  for (std::size_t i = 0; i < t.labels.size(); ++i)
    if (t.labels[i] != kIgnoreIndex) {
      first = i;
      break;
    }
  for (std::size_t i = 0; i < t.labels.size(); ++i) {
    if (i < first) EXPECT_EQ(t.labels[i], kIgnoreIndex) << i;
    if (i >= first) EXPECT_EQ(t.labels[i], t.input_ids[i]) << i;
  }
  return {t.input_ids.begin() + static_cast<std::ptrdiff_t>(first), t.input_ids.end()};
}

std::string decode_prompt(const TokenizedExample& t) {
  std::vector<std::int32_t> ids;
  for (std::size_t i = 0; i < t.labels.size() && t.labels[i] == kIgnoreIndex; ++i) ids.push_back(t.input_ids[i]);
  return qwen().decode(ids);
}

}  // namespace

TEST(Alpaca, LoadsThroughTheLoader) {
  EXPECT_EQ(library()->info().name, "alpaca");
  EXPECT_EQ(library()->info().concern, "prompt_format");
  std::vector<std::string> keys;
  for (const OptionSpec& o : library()->info().options) keys.push_back(o.key);
  EXPECT_THAT(keys, testing::ElementsAre("instruction", "eos_token", "demographics", "separator"));
}

TEST(Alpaca, RendersTheExactPrompt) {
  auto fmt = make();
  EXPECT_EQ(fmt->render_prompt(example()),
            "### Instruction:\n" + kInstruction +
                "\n\n### Input:\n"
                "Demographics: Age: 34; Gender: Female; Ethnicity: White; Income: 75-99K; Party ID: Moderate "
                "Democrat; Marital Status: Married\n"
                "Scenario: " +
                kQuestion + "\n\n### Response:\n");
  EXPECT_EQ(fmt->render_response(example()), "5");
}

TEST(Alpaca, CustomInstructionAndSeparator) {
  auto fmt = make(Table{{"instruction", std::string("Answer as this person.")}, {"separator", std::string(" | ")}});
  Example ex = example();
  ex.demographic = {{"age", "61"}, {"gender", "Male"}, {"location", "Iowa"}};
  ex.stimuli = "Q? Only return 1 or 2.";
  EXPECT_EQ(fmt->render_prompt(ex),
            "### Instruction:\nAnswer as this person.\n\n### Input:\n"
            "Demographics: Age: 61 | Gender: Male | Location: Iowa\n"
            "Scenario: Q? Only return 1 or 2.\n\n### Response:\n");
}

TEST(Alpaca, DemographicsAblation) {
  auto none = make(Table{{"demographics", std::string("none")}});
  const std::string expected = "### Instruction:\n" + kInstruction + "\n\n### Input:\nScenario: " + kQuestion +
                               "\n\n### Response:\n";
  EXPECT_EQ(none->render_prompt(example()), expected);
  // With "all" but nothing present, the Demographics line is left out the same way.
  Example ex = example();
  for (auto& [k, v] : ex.demographic) v = std::nullopt;
  EXPECT_EQ(make()->render_prompt(ex), expected);
  EXPECT_NE(none->fingerprint(), make()->fingerprint());
}

TEST(Alpaca, DemographicLabelsAreFixedForAllSixteenColumns) {
  Example ex = example();
  ex.demographic.clear();
  const std::vector<std::pair<std::string, std::string>> cols = {
      {"age", "Age"},
      {"gender", "Gender"},
      {"education", "Education"},
      {"employment", "Employment"},
      {"ethnicity", "Ethnicity"},
      {"income", "Income"},
      {"party_id", "Party ID"},
      {"ideology", "Ideology"},
      {"location", "Location"},
      {"marital_status", "Marital Status"},
      {"household_size", "Household Size"},
      {"housing_ownership", "Housing Ownership"},
      {"housing_type", "Housing Type"},
      {"metro_status", "Metro Status"},
      {"internet_access", "Internet Access"},
      {"phone_service", "Phone Service"},
      {"religious_group", "Religious Group"},  // not a SocSci210 column: the generic rule
  };
  std::string line = "Demographics: ";
  for (std::size_t i = 0; i < cols.size(); ++i) {
    ex.demographic.emplace_back(cols[i].first, "v" + std::to_string(i));
    line += (i ? "; " : "") + cols[i].second + ": v" + std::to_string(i);
  }
  EXPECT_THAT(make()->render_prompt(ex), HasSubstr("\n\n### Input:\n" + line + "\nScenario: "));
}

TEST(Alpaca, LabelsCoverExactlyTheResponseAndEos) {
  auto fmt = make();
  const Example ex = example();
  const TokenizedExample t = fmt->tokenize(ex, qwen(), 2048);
  EXPECT_FALSE(t.truncated);
  EXPECT_EQ(qwen().decode(labelled_suffix(t)), "5<|endoftext|>");
  EXPECT_EQ(decode_prompt(t), fmt->render_prompt(ex));
  // The prompt part is exactly what generation encodes.
  const std::vector<std::int32_t> prompt = qwen().encode(fmt->render_prompt(ex));
  EXPECT_TRUE(std::equal(prompt.begin(), prompt.end(), t.input_ids.begin()));
  EXPECT_EQ(t.input_ids.size(), prompt.size() + 2);
  EXPECT_EQ(t.input_ids.back(), *qwen().token_id("<|endoftext|>"));

  Example big = ex;
  big.response = 10;
  EXPECT_EQ(qwen().decode(labelled_suffix(fmt->tokenize(big, qwen(), 2048))), "10<|endoftext|>");
  big.response = -3;
  EXPECT_EQ(qwen().decode(labelled_suffix(fmt->tokenize(big, qwen(), 2048))), "-3<|endoftext|>");
}

// Why the prompt and response are encoded separately: merges across the boundary would blur
// the mask. With the Qwen tokenizer, "\n" + "5" does not merge, so the separate encoding
// equals the joint one and the model trains on the ids it will see.
TEST(Alpaca, QwenDoesNotMergeAcrossThePromptResponseBoundary) {
  auto fmt = make();
  const std::string prompt = fmt->render_prompt(example());
  for (const std::string r : {"5", "10", "-3", "0", "100"}) {
    std::vector<std::int32_t> split = qwen().encode(prompt);
    const std::vector<std::int32_t> answer = qwen().encode(r);
    split.insert(split.end(), answer.begin(), answer.end());
    EXPECT_EQ(qwen().encode(prompt + r), split) << r;
  }
  // The hazard it guards against: split elsewhere ("Response:" | "\n5"), the joint encoding
  // has a token (":\n") that straddles the boundary.
  std::vector<std::int32_t> split = qwen().encode("Response:");
  const std::vector<std::int32_t> answer = qwen().encode("\n5");
  split.insert(split.end(), answer.begin(), answer.end());
  const std::vector<std::int32_t> joint = qwen().encode("Response:\n5");
  EXPECT_NE(joint, split);
  EXPECT_EQ(joint.size() + 1, split.size());
}

TEST(Alpaca, TruncationKeepsHeaderDemographicsAndTheEndOfTheScenario) {
  auto fmt = make();
  Example ex = example();
  std::string vignette;
  for (int i = 0; i < 60; ++i) vignette += "Sentence number " + std::to_string(i) + " of a long vignette. ";
  ex.stimuli = vignette + kQuestion;
  const std::int64_t full = static_cast<std::int64_t>(fmt->tokenize(ex, qwen(), 100000).input_ids.size());
  const TokenizedExample fits = fmt->tokenize(ex, qwen(), full);
  EXPECT_FALSE(fits.truncated);
  EXPECT_EQ(static_cast<std::int64_t>(fits.input_ids.size()), full);

  const std::int64_t max_len = 160;
  ASSERT_GT(full, max_len);
  const TokenizedExample t = fmt->tokenize(ex, qwen(), max_len);
  EXPECT_TRUE(t.truncated);
  EXPECT_LE(static_cast<std::int64_t>(t.input_ids.size()), max_len);
  EXPECT_GE(static_cast<std::int64_t>(t.input_ids.size()), max_len - 3);
  EXPECT_EQ(qwen().decode(labelled_suffix(t)), "5<|endoftext|>");
  const std::string prompt = decode_prompt(t);
  EXPECT_THAT(prompt, testing::StartsWith("### Instruction:\n" + kInstruction +
                                          "\n\n### Input:\nDemographics: Age: 34; Gender: Female; Ethnicity: "
                                          "White; Income: 75-99K; Party ID: Moderate Democrat; Marital Status: "
                                          "Married\nScenario: "));
  EXPECT_THAT(prompt, testing::EndsWith(kQuestion + "\n\n### Response:\n"));
  EXPECT_THAT(prompt, testing::Not(HasSubstr("Sentence number 0 ")));
  EXPECT_THAT(prompt, HasSubstr("Sentence number 59 of a long vignette. "));
  EXPECT_TRUE(fmt->tokenize(ex, qwen(), full - 1).truncated);
}

TEST(Alpaca, TruncationFallsBackToTheTemplateEdgesThenToTheTail) {
  auto fmt = make();
  Example ex = example();
  const std::string head = "### Instruction:\n" + kInstruction + "\n\n### Input:\n";
  const std::string tail = "\n\n### Response:\n";
  const auto n_head = static_cast<std::int64_t>(qwen().encode(head).size());
  const auto n_tail = static_cast<std::int64_t>(qwen().encode(tail).size());
  // Header and tail fit, the demographics do not: the user content is cut from the left.
  TokenizedExample t = fmt->tokenize(ex, qwen(), n_head + n_tail + 2 + 5);
  EXPECT_TRUE(t.truncated);
  std::string prompt = decode_prompt(t);
  EXPECT_THAT(prompt, testing::StartsWith(head));
  EXPECT_THAT(prompt, testing::EndsWith("7 means strongly agree.\n\n### Response:\n"));
  EXPECT_THAT(prompt, testing::Not(HasSubstr("Demographics")));
  EXPECT_EQ(qwen().decode(labelled_suffix(t)), "5<|endoftext|>");
  // Not even the header fits: the end of the prompt is kept.
  t = fmt->tokenize(ex, qwen(), 8);
  EXPECT_TRUE(t.truncated);
  EXPECT_EQ(t.input_ids.size(), 8u);
  prompt = decode_prompt(t);
  EXPECT_THAT(fmt->render_prompt(ex), testing::EndsWith(prompt));
  EXPECT_THAT(prompt, testing::EndsWith("\n\n### Response:\n"));
  EXPECT_EQ(qwen().decode(labelled_suffix(t)), "5<|endoftext|>");
}

TEST(Alpaca, TruncationNeverStartsInsideACharacter) {
  auto fmt = make();
  Example ex = example();
  std::string vignette;
  // Emoji and Tamil: Qwen splits these characters into several byte tokens.
  for (int i = 0; i < 40; ++i) vignette += "Résumé 🦒🦓 ஆய்வு முடிவுகள் 東京都。";
  ex.stimuli = vignette + kQuestion;
  int cut_inside = 0;  // cuts that needed the fix-up (the test would be vacuous without them)
  for (std::int64_t max_len = 160; max_len < 200; ++max_len) {
    const TokenizedExample t = fmt->tokenize(ex, qwen(), max_len);
    ASSERT_TRUE(t.truncated);
    const std::string prompt = decode_prompt(t);
    EXPECT_THAT(prompt, testing::Not(HasSubstr("\xEF\xBF\xBD"))) << max_len;
    EXPECT_THAT(prompt, testing::EndsWith(kQuestion + "\n\n### Response:\n"));
    EXPECT_THAT(prompt, HasSubstr("東京都。"));
    EXPECT_EQ(qwen().decode(labelled_suffix(t)), "5<|endoftext|>");
    cut_inside += static_cast<std::int64_t>(t.input_ids.size()) < max_len;
  }
  EXPECT_GT(cut_inside, 0);
}

TEST(Alpaca, ResponseThatCannotFitNamesTheSample) {
  auto fmt = make();
  EXPECT_THAT([&] { fmt->tokenize(example(), qwen(), 2); },
              ThrowsMessage<Error>(
                  "alpaca: sample_id 42 (study S0001): the response and end token alone need 2 tokens, plus at "
                  "least 1 prompt token, but max_len is 2; raise the maximum sequence length"));
  const TokenizedExample t = fmt->tokenize(example(), qwen(), 3);
  EXPECT_TRUE(t.truncated);
  EXPECT_EQ(t.input_ids.size(), 3u);
  EXPECT_EQ(qwen().decode(t.input_ids), ":\n5<|endoftext|>");
}

TEST(Alpaca, MissingResponseNamesTheSample) {
  auto fmt = make();
  Example ex = example();
  ex.response = std::nullopt;
  const std::string msg =
      "alpaca: sample_id 42 (study S0001): has no response; a prompt format can only build training sequences "
      "from labelled examples";
  EXPECT_THAT([&] { fmt->render_response(ex); }, ThrowsMessage<Error>(msg));
  EXPECT_THAT([&] { fmt->tokenize(ex, qwen(), 2048); }, ThrowsMessage<Error>(msg));
  // The prompt alone (for generation) needs no response.
  EXPECT_NO_THROW(fmt->render_prompt(ex));
}

TEST(Alpaca, EmptyStimuliNamesTheSample) {
  Example ex = example();
  ex.stimuli = "  ";
  EXPECT_THAT([&] { make()->render_prompt(ex); },
              ThrowsMessage<Error>("alpaca: sample_id 42 (study S0001): has an empty stimuli field; the Alpaca "
                                   "prompt needs it"));
}

TEST(Alpaca, EosTokenMustBeATokenOfTheTokenizer) {
  auto fmt = make(Table{{"eos_token", std::string("<|eos|>")}});
  EXPECT_THAT([&] { fmt->tokenize(example(), qwen(), 2048); },
              ThrowsMessage<Error>("alpaca: 'prompt.eos_token' = \"<|eos|>\" is not a token of this tokenizer; set "
                                   "it to the model's end-of-sequence token (\"<|endoftext|>\" for Qwen2.5, "
                                   "\"<|end_of_text|>\" for Llama 3)"));
  // A vocabulary entry that text never encodes to (byte-level form of " the").
  auto fmt2 = make(Table{{"eos_token", std::string("\xC4\xA0the")}});
  EXPECT_THAT([&] { fmt2->tokenize(example(), qwen(), 2048); },
              ThrowsMessage<Error>(HasSubstr("is in the vocabulary but is not an added token")));
  // Another special token of the tokenizer is accepted.
  auto fmt3 = make(Table{{"eos_token", std::string("<|im_end|>")}});
  EXPECT_EQ(qwen().decode(labelled_suffix(fmt3->tokenize(example(), qwen(), 2048))), "5<|im_end|>");
  EXPECT_EQ(fmt3->stop_strings(), std::vector<std::string>{"<|im_end|>"});
}

TEST(Alpaca, RejectsBadOptions) {
  EXPECT_THAT([] { make(Table{{"demographics", std::string("some")}}); },
              ThrowsMessage<ConfigError>("'prompt.demographics': must be one of all|none, got \"some\""));
  EXPECT_THAT([] { make(Table{{"instruction", std::string(" \n")}}); },
              ThrowsMessage<ConfigError>("'prompt.instruction': must not be empty"));
  EXPECT_THAT([] { make(Table{{"eos_token", std::string()}}); },
              ThrowsMessage<ConfigError>("'prompt.eos_token': must not be empty (e.g. \"<|endoftext|>\")"));
  EXPECT_THAT([] { make(Table{{"separator", std::string()}}); },
              ThrowsMessage<ConfigError>("'prompt.separator': must not be empty (e.g. \"; \")"));
  EXPECT_THAT([] { make(Table{{"separator", std::int64_t{3}}}); },
              ThrowsMessage<ConfigError>("'prompt.separator' has type int, expected string"));
}

TEST(Alpaca, StopStringsAndFingerprint) {
  auto fmt = make();
  EXPECT_EQ(fmt->stop_strings(), std::vector<std::string>{"<|endoftext|>"});
  const std::string fp = fmt->fingerprint();
  EXPECT_THAT(fp, testing::MatchesRegex("alpaca/1\\.0\\.0:sha256:[0-9a-f]{64}"));
  EXPECT_EQ(make()->fingerprint(), fp);
  std::set<std::string> all{fp};
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{{"instruction", "Other."},
                                                                      {"eos_token", "<|im_end|>"},
                                                                      {"demographics", "none"},
                                                                      {"separator", ", "}})
    all.insert(make(Table{{k, v}})->fingerprint());
  EXPECT_EQ(all.size(), 5u);
}

// Fingerprints hash through the host's SHA-256.
TEST(PromptSupport, HostSha256MatchesKnownVectors) {
  const HostServices& host = host_services();
  EXPECT_EQ(host.sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(host.sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(host.sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
