// The bad-input suite: bad TOML, options, datasets, tokenizers, safetensors, predictions,
// adapters and CLI flags given to the real `socrates` executable. Every case must end with its
// exit status and a message that says what is wrong; none may end by a signal or the time
// limit (the suite's point: zero crashes). Each case is a child process with a time limit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include <ATen/ops/full_like.h>
#include <ATen/ops/zeros.h>

#include "bad_input_files.hpp"
#include "io/safetensors_writer.hpp"
#include "model/causal_lm.hpp"
#include "spawn_cli.hpp"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace socrates::test {

namespace {

const std::string kSrc = SOCRATES_SOURCE_DIR;
const std::string kQuick = kSrc + "/experiments/quickstart.toml";
const std::string kTokenizer = kSrc + "/data/tokenizers/qwen2.5/tokenizer.json";
const std::string kSynthetic = kSrc + "/data/synthetic-socsci210";
const std::string kStubs = SOCRATES_TEST_PLUGIN_DIR;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

// A copy of the synthetic dataset (jsonl) with every row's `field` emptied.
void dataset_with_empty(const fs::path& dir, const std::string& field) {
  fs::create_directories(dir / "data");
  fs::copy(kSynthetic + "/metadata", dir / "metadata", fs::copy_options::recursive);
  std::ifstream in(kSynthetic + "/data/train-00000-of-00001.jsonl");
  std::ofstream out(dir / "data" / "train.jsonl");
  const std::string key = "\"" + field + "\":\"";
  int emptied = 0;
  for (std::string line; std::getline(in, line);) {
    auto at = line.find(key);
    if (at != std::string::npos) {
      ++emptied;
      const auto begin = at + key.size();
      std::size_t end = begin;
      while (end < line.size() && !(line[end] == '"' && line[end - 1] != '\\')) ++end;
      line.erase(begin, end - begin);
    }
    out << line << "\n";
  }
  if (emptied == 0) throw std::runtime_error("no '" + field + "' field found in the synthetic dataset");
}

// A tiny Qwen2 config (the quickstart's shape) with `weights` as its model.safetensors.
void model_dir(const fs::path& dir, const std::string& weights) {
  fs::create_directories(dir);
  fs::copy_file(kSrc + "/configs/models/tiny-qwen2/config.json", dir / "config.json");
  write(dir / "model.safetensors", weights);
}

// A tiny random Qwen2 folder (vocab 32, context 64); with `nan`, its embedding holds a NaN.
const char* const kTinyConfig = R"({"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_act": "silu",
 "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
 "num_key_value_heads": 1, "vocab_size": 32, "max_position_embeddings": 64, "rms_norm_eps": 1e-06,
 "rope_theta": 10000.0, "tie_word_embeddings": true, "torch_dtype": "float32", "eos_token_id": 2})";

void tiny_model(const fs::path& dir, bool nan) {
  fs::create_directories(dir);
  write(dir / "config.json", kTinyConfig);
  auto model = CausalLM::random(ModelConfig::from_json_text(kTinyConfig, "tiny"), c10::kCPU, at::kFloat, 1);
  auto tensors = model->export_tensors(at::kFloat);
  if (nan) {
    for (auto& [name, t] : tensors) {
      if (name == "model.embed_tokens.weight") {
        t = t.clone();
        t[3][5] = std::nan("");
      }
    }
  }
  save_safetensors(dir / "model.safetensors", tensors);
}

// A PEFT LoRA folder for the tiny model: rank-4 tensors on q_proj, and `config_json`.
void adapter(const fs::path& dir, const std::string& config_json) {
  fs::create_directories(dir);
  write(dir / "adapter_config.json", config_json);
  const std::string site = "base_model.model.model.layers.0.self_attn.q_proj.";
  save_safetensors(dir / "adapter_model.safetensors", {{site + "lora_A.weight", at::zeros({4, 16})},
                                                       {site + "lora_B.weight", at::zeros({16, 4})}});
}

std::string lora_config(int r, const std::string& target) {
  return R"({"peft_type": "LORA", "r": )" + std::to_string(r) + R"(, "lora_alpha": 8, "lora_dropout": 0.0,
 "target_modules": [")" + target + R"("], "bias": "none", "task_type": "CAUSAL_LM"})";
}

std::string prediction(const std::string& extra) {
  return R"({"study_id":"s1","condition_num":0,"task_num":0,"participant":)" + extra + "}\n";
}

}  // namespace

const BadInputFiles& BadInputFiles::get() {
  static const BadInputFiles files = [] {
    BadInputFiles f;
    f.root = fs::temp_directory_path() / ("socrates-bad-input-" + std::to_string(::getpid()));
    fs::remove_all(f.root);
    fs::create_directories(f.root);
    static const fs::path* const root = new fs::path(f.root);  // outlives the static `files`
    std::atexit([] {
      std::error_code ec;
      fs::remove_all(*root, ec);
    });
    write(f / "broken.toml", "[run\nname = \"x\"\n");
    write(f / "cycle_a.toml", "include = \"cycle_b.toml\"\n");
    write(f / "cycle_b.toml", "include = \"cycle_a.toml\"\n");
    write(f / "not-json-tokenizer.json", "{\"model\": [1, 2");
    write(f / "spaces.jsonl", "{\"text\": \"" + std::string(10'000'000, ' ') + "\"}\n");
    dataset_with_empty(f / "empty-stimuli", "stimuli");
    model_dir(f / "model-truncated", std::string("\x40\x00\x00\x00\x00\x00\x00\x00{\"a\":", 14));
    model_dir(f / "model-header-huge", std::string("\xff\xff\xff\xff\xff\xff\xff\x7f{}", 10));
    tiny_model(f / "model-ok", false);
    tiny_model(f / "model-nan", true);
    adapter(f / "adapter-ok", lora_config(4, "q_proj"));
    adapter(f / "adapter-rank", lora_config(8, "q_proj"));
    adapter(f / "adapter-target", lora_config(4, "nonexistent"));
    write(f / "preds-not-json.jsonl", "{\"study_id\": \n");
    std::string inverted, conflict;
    for (int i = 0; i < 4; ++i) {
      inverted += prediction(std::to_string(i) + R"(,"response":3,"prediction":4,"scale_min":7,"scale_max":1)");
      conflict += prediction(std::to_string(i) + R"(,"response":3,"prediction":4,"scale_min":1,"scale_max":)" +
                             (i < 2 ? "7" : "5"));
    }
    write(f / "preds-inverted.jsonl", inverted);
    write(f / "preds-dist-huge.jsonl",
          prediction(R"(1,"response":3,"scale_min":1,"scale_max":7,"distribution":{"1e308":0.5,"3":0.5})"));
    write(f / "preds-conflict.jsonl", conflict);
    write(f / "preds-ok.jsonl", prediction(R"(1,"response":3,"prediction":4,"scale_min":1,"scale_max":7)"));
    write(f / "throwing.toml", "[run]\nname = \"throwing\"\noutput_dir = \"" + (f.root / "runs").string() +
                                   "\"\n[plugins]\npaths = [\"" + kStubs + "\"]\n[model]\ntokenizer = \"" + kTokenizer +
                                   "\"\n[dataset]\nplugin = \"throwing-dataset\"\n[prompt]\nplugin = \"throwing-prompt\"\n"
                                   "[[evaluators]]\nplugin = \"throwing-evaluator\"\n");
    write(f / "stubs.toml", "[run]\nname = \"stubs\"\n[plugins]\npaths = [\"" + kStubs + "\"]\n[model]\ntokenizer = \"" +
                                kTokenizer + "\"\n[dataset]\nplugin = \"test-dataset\"\nrows = 64\n[prompt]\nplugin = \"test-prompt\"\n[parallelism]\nplugin = \"single\"\n"
                                "[data]\ninspect_examples = 0\n");
    return f;
  }();
  return files;
}

struct Case {
  const char* name;
  std::vector<std::string> args;  // "@x" is BadInputFiles / "x"
  int exit;                       // expected exit status
  const char* want;               // in stderr
  int limit_s = 30;
};

std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

namespace {

std::vector<std::string> validate(const std::string& kv) { return {"validate", kQuick, "--set", kv}; }

const Case kCases[] = {
    // TOML and options: `validate` rejects what `run` would.
    {"toml_syntax", {"validate", "@broken.toml"}, 1, "broken.toml:"},
    {"toml_include_cycle", {"validate", "@cycle_a.toml"}, 1, "cycle"},
    {"toml_unknown_key", validate("training.lrr=1"), 1, "Did you mean 'lr'?"},
    {"lr_nan", validate("training.lr=nan"), 1, "'training.lr': must be a finite number >= 0, got nan"},
    {"lr_inf", validate("training.lr=inf"), 1, "'training.lr': must be a finite number >= 0, got inf"},
    {"micro_batch_zero", validate("training.micro_batch_size=0"), 1, "'training.micro_batch_size': must be at least 1"},
    {"global_batch_indivisible", validate("training.global_batch_size=33"), 1,
     "'training.global_batch_size': must be a multiple of micro_batch_size x ranks"},
    {"epochs_absurd", validate("training.epochs=1e12"), 1, "'training.epochs': must be a number in (0, 10000]"},
    {"max_steps_absurd", {"run", "@stubs.toml", "--set", "training.max_steps=999999999", "--set", "run.output_dir=\"@runs\""}, 1,
     "visit more than 2e9 examples"},
    {"temperature_nan", validate("evaluation.temperature=nan"), 1, "'evaluation.temperature': must be a finite"},
    {"run_name_dotdot", validate("run.name=\"../../x\""), 1, "'run.name': must not contain '/'"},
    {"run_name_nul", validate("run.name=\"a\\u0000b\""), 1, "'run.name': must not contain a NUL"},
    {"run_name_only_dots", validate("run.name=\"..\""), 1, "'run.name': must not be \"..\""},
    {"eos_token_unknown", validate("prompt.eos_token=\"<nope>\""), 1,
     "'prompt.eos_token' = \"<nope>\" is not a token of this tokenizer"},
    {"max_seq_len_two_validate", validate("data.max_seq_len=2"), 1, "raise the maximum sequence length"},
    // Data: a response that cannot fit, a dataset without stimuli, a missing dataset.
    {"max_seq_len_two", {"data", "inspect", kQuick, "--set", "data.max_seq_len=2"}, 1,
     "raise the maximum sequence length"},
    {"dataset_missing", {"data", "inspect", kQuick, "--set", "dataset.path=\"/nonexistent/socsci\""}, 1,
     "/nonexistent/socsci"},
    {"dataset_empty_stimuli",
     {"data", "inspect", kQuick, "--set", "dataset.path=\"@empty-stimuli\"", "--set", "dataset.format=\"jsonl\""}, 1,
     "stimuli"},
    // Tokenizer.
    {"tokenizer_not_json", {"tokenize", "--tokenizer", "@not-json-tokenizer.json", "--text", "hi"}, 1,
     "not-json-tokenizer.json"},
    {"tokenizer_10mb_of_spaces", {"tokenize", "--tokenizer", kTokenizer, "--jsonl", "@spaces.jsonl"}, 0, "", 120},
    // Safetensors.
    {"safetensors_truncated", {"generate", "--model", "@model-truncated", "--prompt-ids", "1"}, 1,
     "model.safetensors"},
    {"safetensors_header_huge", {"generate", "--model", "@model-header-huge", "--prompt-ids", "1"}, 1,
     "model.safetensors"},
    {"weights_nan", {"generate", "--model", "@model-nan", "--prompt-ids", "1"}, 1,
     "tensor 'model.embed_tokens.weight' holds 1 NaN and 0 infinite values"},
    {"generate_ok", {"generate", "--model", "@model-ok", "--prompt-ids", "1", "--max-new-tokens", "3"}, 0, ""},
    {"generate_beyond_context", {"generate", "--model", "@model-ok", "--prompt-ids", "1", "--max-new-tokens", "1000000000"},
     1, "exceeds the model's context of 64 tokens"},
    // Adapters that do not match the model.
    {"adapter_ok", {"generate", "--model", "@model-ok", "--adapter", "@adapter-ok", "--prompt-ids", "1", "--max-new-tokens", "2"},
     0, ""},
    {"adapter_rank", {"generate", "--model", "@model-ok", "--adapter", "@adapter-rank", "--prompt-ids", "1"}, 1,
     "expected [8, 16]"},
    {"adapter_target", {"generate", "--model", "@model-ok", "--adapter", "@adapter-target", "--prompt-ids", "1"}, 1,
     "matches no linear layer"},
    // Predictions.
    {"predictions_not_json", {"score", "--predictions", "@preds-not-json.jsonl"}, 1, "preds-not-json.jsonl:1"},
    {"predictions_inverted_scale", {"score", "--predictions", "@preds-inverted.jsonl"}, 1, "scale_min 7"},
    {"predictions_distribution_outside_scale", {"score", "--predictions", "@preds-dist-huge.jsonl"}, 1,
     "distribution answer 1e+308 is outside the row's scale [1, 7]"},
    {"predictions_conflicting_scales", {"score", "--predictions", "@preds-conflict.jsonl"}, 1, "different scales"},
    // CLI flags, checked before anything is loaded.
    {"generate_negative_max_new_tokens", {"generate", "--model", "/nonexistent", "--prompt-ids", "1", "--max-new-tokens", "-1"},
     1, "--max-new-tokens must be >= 0"},
    {"generate_nan_temperature", {"generate", "--model", "/nonexistent", "--prompt-ids", "1", "--temperature", "nan"}, 1,
     "--temperature must be a finite number >= 0"},
};

class BadInput : public ::testing::TestWithParam<Case> {};

std::vector<std::string> expand(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (std::string a : args) {
    for (std::size_t at; (at = a.find('@')) != std::string::npos && at + 1 < a.size() && a[at + 1] != '@';) {
      std::size_t end = at + 1;
      while (end < a.size() && a[end] != '"' && a[end] != ' ') ++end;
      a.replace(at, end - at, (BadInputFiles::get() / a.substr(at + 1, end - at - 1)).string());
    }
    out.push_back(a);
  }
  return out;
}

}  // namespace

TEST_P(BadInput, EndsWithAClearErrorNeverASignal) {
  const Case& c = GetParam();
  const fs::path scratch = BadInputFiles::get() / ("case-" + std::string(c.name));
  const SpawnResult r = spawn_socrates(expand(c.args), scratch, std::chrono::seconds(c.limit_s));
  ASSERT_FALSE(r.timed_out) << c.name << ": no result within " << c.limit_s << " s";
  ASSERT_EQ(r.signal, 0) << c.name << ": killed by signal " << r.signal << "\n" << r.err;
  EXPECT_EQ(r.status, c.exit) << r.err;
  EXPECT_THAT(r.err, HasSubstr(c.want));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("Exception raised from")));  // no LibTorch stack trace
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("unexpected error")));
}

INSTANTIATE_TEST_SUITE_P(Suite, BadInput, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return std::string(info.param.name); });

// `run` refuses a bad run.name before it creates anything: output_dir stays empty.
TEST(BadInputRun, RunNameOutsideOutputDirIsRefusedBeforeCreatingARunDirectory) {
  const fs::path out = BadInputFiles::get() / "run-name-out";
  fs::create_directories(out);
  const SpawnResult r = spawn_socrates({"run", kQuick, "--set", "run.output_dir=\"" + out.string() + "\"", "--set",
                                        "run.name=\"../escaped\""},
                                       out.parent_path() / "case-run-name");
  ASSERT_EQ(r.signal, 0);
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_THAT(r.err, HasSubstr("'run.name': must not contain '/'"));
  EXPECT_TRUE(fs::is_empty(out));
  EXPECT_FALSE(fs::exists(out.parent_path() / "escaped"));
}

}  // namespace socrates::test

namespace socrates::test {

// Files Socrates caches itself are verified before use: a token cache with a flipped byte is
// rebuilt (with a warning), not used.
TEST(BadInputCache, CorruptTokenCacheIsRebuilt) {
  const fs::path dir = BadInputFiles::get() / "token-cache";
  const std::vector<std::string> args = {"data", "inspect", (BadInputFiles::get() / "stubs.toml").string(), "--set",
                                         "data.cache_dir=\"" + dir.string() + "\""};
  const SpawnResult first = spawn_socrates(args, dir.parent_path() / "case-cache-1");
  ASSERT_EQ(first.status, 0) << first.describe() << first.err;
  fs::path tok;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".tok") tok = e.path();
  ASSERT_FALSE(tok.empty());
  {
    std::fstream f(tok, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(fs::file_size(tok) / 2));
    char c = 0;
    f.read(&c, 1);
    c = static_cast<char>(c ^ 0x5a);
    f.seekp(static_cast<std::streamoff>(fs::file_size(tok) / 2));
    f.write(&c, 1);
  }
  const SpawnResult second = spawn_socrates(args, dir.parent_path() / "case-cache-2");
  ASSERT_EQ(second.signal, 0);
  EXPECT_EQ(second.status, 0) << second.err;
  EXPECT_THAT(second.err, HasSubstr(tok.string() + ": corrupt token cache (checksum mismatch); rebuilding it"));
  EXPECT_EQ(first.out, second.out) << "the rebuilt cache gives other statistics";
}

}  // namespace socrates::test
