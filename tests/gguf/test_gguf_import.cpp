// socrates import gguf on small GGUF files the tests write: metadata → config.json, tied and
// untied embeddings, Llama (permuted q/k) and Qwen2 (biases) models that give the same logits
// as the models they were written from, the rebuilt tokenizer, atomic output, the CLI.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <ATen/ATen.h>
#include <ATen/core/grad_mode.h>
#include <nlohmann/json.hpp>

#include "gguf/gguf_config.hpp"
#include "gguf/gguf_import.hpp"
#include "gguf_test_util.hpp"
#include "gguf_writer.hpp"
#include "io/safetensors_model.hpp"
#include "model/causal_lm.hpp"
#include "run_cli.hpp"
#include "socrates/error.hpp"
#include "tokenizer/bpe_tokenizer.hpp"

#include "read_files.hpp"

namespace fs = std::filesystem;
using namespace socrates;
using namespace socrates::testing;
using namespace socrates::gguf_test;
using nlohmann::json;
using ::testing::HasSubstr;

namespace {

using socrates::test::read_json;

gguf::ImportOptions f32() {
  gguf::ImportOptions o;
  o.dtype = at::kFloat;
  return o;
}

// The largest difference between the logits of `a` and `b` on fixed token ids.
double logits_diff(const CausalLM& a, const CausalLM& b) {
  at::NoGradGuard g;
  at::manual_seed(7);
  const at::Tensor ids = at::randint(a.config().vocab_size, {2, 9}, at::kLong);
  return (a.logits(a.forward(ids)) - b.logits(b.forward(ids))).abs().max().item<double>();
}

}  // namespace

TEST(GgufImport, MetadataBecomesConfigJson) {
  const fs::path dir = fresh_dir("config");
  write_tiny_llama(dir / "m.gguf", /*tied=*/false);
  const auto s = gguf::import_gguf(dir / "m.gguf", dir / "out", f32());
  EXPECT_EQ(s.architecture, "llama");
  EXPECT_EQ(s.name, "Tiny llama");
  EXPECT_EQ(s.tensors, 3 + 2 * 9);
  EXPECT_FALSE(s.tied_embeddings);
  EXPECT_EQ(s.types, (std::map<std::string, std::int64_t>{{"F32", 21}}));
  const json c = read_json(dir / "out/config.json");
  EXPECT_EQ(c["architectures"], json::array({"LlamaForCausalLM"}));
  EXPECT_EQ(c["model_type"], "llama");
  EXPECT_EQ(c["hidden_size"], 32);
  EXPECT_EQ(c["intermediate_size"], 48);
  EXPECT_EQ(c["num_hidden_layers"], 2);
  EXPECT_EQ(c["num_attention_heads"], 4);
  EXPECT_EQ(c["num_key_value_heads"], 2);
  EXPECT_EQ(c["head_dim"], 8);
  EXPECT_EQ(c["max_position_embeddings"], 512);
  EXPECT_EQ(c["vocab_size"], 269);
  EXPECT_EQ(c["rms_norm_eps"].get<double>(), 1e-5);  // the float32 in the file, shown as 1e-05
  EXPECT_EQ(c["rope_theta"].get<double>(), 100000.0);
  EXPECT_EQ(c["tie_word_embeddings"], false);
  EXPECT_EQ(c["attention_bias"], false);
  EXPECT_EQ(c["torch_dtype"], "float32");
  EXPECT_EQ(c["bos_token_id"], 1);
  EXPECT_EQ(c["eos_token_id"], 2);
  EXPECT_EQ(c["pad_token_id"], 2);
  EXPECT_EQ(read_json(dir / "out/generation_config.json"), json({{"bos_token_id", 1}, {"eos_token_id", 2}, {"pad_token_id", 2}}));
  const json prov = read_json(dir / "out/gguf_import.json");
  EXPECT_EQ(prov["gguf_version"], 3);
  EXPECT_EQ(prov["source_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(prov["metadata"]["general.name"], "Tiny llama");
  EXPECT_EQ(prov["unpermuted_qk"], true);
  // Our own loader reads it.
  const ModelConfig mc = ModelConfig::from_folder(dir / "out");
  EXPECT_EQ(mc.architecture, "LlamaForCausalLM");
  EXPECT_EQ(mc.eos_token_ids, (std::vector<std::int64_t>{2}));
  EXPECT_EQ(mc.rms_norm_eps, 1e-5);
}

TEST(GgufImport, ShortestFloat32) {
  EXPECT_EQ(gguf::shortest_float32(static_cast<float>(1e-5)), 1e-5);
  EXPECT_EQ(gguf::shortest_float32(static_cast<float>(1e-6)), 1e-6);
  EXPECT_EQ(gguf::shortest_float32(static_cast<float>(0.1)), 0.1);
  EXPECT_EQ(gguf::shortest_float32(1000000.0), 1000000.0);
  EXPECT_EQ(gguf::shortest_float32(0.25), 0.25);
}

TEST(GgufImport, LlamaRoundTripGivesTheSameLogits) {
  for (bool tied : {false, true}) {
    const fs::path dir = fresh_dir("llama");
    const auto original = write_tiny_llama(dir / "m.gguf", tied, tied ? 11 : 12);
    const auto s = gguf::import_gguf(dir / "m.gguf", dir / "out", f32());
    EXPECT_EQ(s.tied_embeddings, tied);
    const auto st = SafetensorsModel::open(dir / "out");
    EXPECT_EQ(st.has("lm_head.weight"), !tied);
    const auto imported = CausalLM::load(dir / "out", c10::kCPU);
    EXPECT_EQ(imported->config().tie_word_embeddings, tied);
    // Every weight is bit-identical (q/k un-permuted), so the logits are too.
    const auto want = original->export_tensors(at::kFloat), got = imported->export_tensors(at::kFloat);
    ASSERT_EQ(want.size(), got.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(want[i].first, got[i].first);
      EXPECT_TRUE(at::equal(want[i].second, got[i].second)) << want[i].first;
    }
    EXPECT_EQ(logits_diff(*original, *imported), 0.0) << "tied " << tied;
  }
}

TEST(GgufImport, Qwen2WithBiasesIsNotPermuted) {
  const fs::path dir = fresh_dir("qwen2");
  const TinyVocab v = tiny_vocab();
  auto original = CausalLM::random(tiny_config("Qwen2ForCausalLM", true, 269), c10::kCPU, at::kFloat, 3);
  // Random biases (CausalLM::random makes them zero), so that a wrong bias shows.
  {
    at::NoGradGuard g;
    for (auto& [name, t] : original->base_parameters())
      if (name.ends_with(".bias")) t.copy_(at::randn(t.sizes()));
  }
  GgufWriter w;
  add_model_metadata(w, original->config(), "qwen2");
  add_tokenizer_metadata(w, v, "qwen2");
  add_model_tensors(w, *original, /*permute=*/false);
  w.write(dir / "m.gguf");
  const auto s = gguf::import_gguf(dir / "m.gguf", dir / "out", f32());
  EXPECT_EQ(s.tensors, 2 + 2 * 12);
  const json c = read_json(dir / "out/config.json");
  EXPECT_EQ(c["architectures"], json::array({"Qwen2ForCausalLM"}));
  EXPECT_EQ(c["attention_bias"], true);
  const auto imported = CausalLM::load(dir / "out", c10::kCPU);
  EXPECT_EQ(logits_diff(*original, *imported), 0.0);
  const json t = read_json(dir / "out/tokenizer.json");
  EXPECT_EQ(t["normalizer"]["type"], "NFC");
  EXPECT_EQ(t["pre_tokenizer"]["pretokenizers"][0]["type"], "Split");
}

TEST(GgufImport, Bfloat16IsTheDefault) {
  const fs::path dir = fresh_dir("bf16");
  const auto original = write_tiny_llama(dir / "m.gguf", true);
  gguf::import_gguf(dir / "m.gguf", dir / "out");
  EXPECT_EQ(read_json(dir / "out/config.json")["torch_dtype"], "bfloat16");
  const auto st = SafetensorsModel::open(dir / "out");
  const at::Tensor got = st.load("model.layers.1.mlp.down_proj.weight");
  EXPECT_EQ(got.scalar_type(), at::kBFloat16);
  for (const auto& [name, t] : original->export_tensors(at::kFloat))
    if (name == "model.layers.1.mlp.down_proj.weight") EXPECT_TRUE(at::equal(got, t.to(at::kBFloat16)));
  const auto imported = CausalLM::load(dir / "out", c10::kCPU, at::kFloat);
  EXPECT_LT(logits_diff(*original, *imported), 0.05);
}

TEST(GgufImport, TokenizerIsRebuiltFromTheVocabulary) {
  const fs::path dir = fresh_dir("tok");
  write_tiny_llama(dir / "m.gguf", true);
  const auto s = gguf::import_gguf(dir / "m.gguf", dir / "out", f32());
  EXPECT_EQ(s.vocab, 269);
  EXPECT_EQ(s.added_tokens, 4);
  EXPECT_EQ(s.pre_tokenizer, "smollm");
  const TinyVocab v = tiny_vocab();
  const auto tok = BpeTokenizer::from_file(dir / "out");
  EXPECT_EQ(tok->encode("hello world"), (std::vector<std::int32_t>{v.id("hello"), v.id(byte_char(' ') + "world")}));
  // Control tokens are special (matched in text, skipped by decode); <tool> is added but not special.
  const auto ids = tok->encode("<|im_start|>hello<tool><|im_end|>");
  EXPECT_EQ(ids, (std::vector<std::int32_t>{1, v.id("hello"), 3, 2}));
  EXPECT_EQ(tok->decode(ids, /*skip_special=*/true), "hello<tool>");
  EXPECT_EQ(tok->decode(ids), "<|im_start|>hello<tool><|im_end|>");
  // Digits one by one (smollm's pre-tokenizer), bytes for everything else.
  EXPECT_EQ(tok->encode("12"), (std::vector<std::int32_t>{v.id("1"), v.id("2")}));
  for (const std::string text : {"hello world", "héllo wörld 😀\n\t 42", "  spaces  and\nnewlines\n", ""})
    EXPECT_EQ(tok->decode(tok->encode(text)), text);
  const json cfg = read_json(dir / "out/tokenizer_config.json");
  EXPECT_THAT(cfg["chat_template"].get<std::string>(), HasSubstr("<|im_start|>"));
  EXPECT_EQ(cfg["bos_token"], "<|im_start|>");
  EXPECT_EQ(cfg["eos_token"], "<|im_end|>");
  EXPECT_EQ(cfg["unk_token"], "<|endoftext|>");
  EXPECT_EQ(cfg["model_max_length"], 512);
  EXPECT_EQ(cfg["add_bos_token"], false);
  EXPECT_EQ(cfg["added_tokens_decoder"]["3"]["special"], false);
  const json t = read_json(dir / "out/tokenizer.json");
  EXPECT_EQ(t["pre_tokenizer"]["pretokenizers"][0], json({{"type", "Digits"}, {"individual_digits", true}}));
  EXPECT_EQ(t["model"]["merges"][0], json::array({"l", "d"}));
}

TEST(GgufImport, OutputIsAllOrNothing) {
  const fs::path dir = fresh_dir("atomic");
  write_tiny_llama(dir / "m.gguf", true);
  fs::create_directories(dir / "full");
  std::ofstream(dir / "full/x") << "x";
  EXPECT_THAT([&] { gguf::import_gguf(dir / "m.gguf", dir / "full"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("exists and is not an empty folder")));
  fs::create_directories(dir / "empty");
  gguf::import_gguf(dir / "m.gguf", dir / "empty/");  // an empty folder is fine, a trailing slash too
  EXPECT_TRUE(fs::is_regular_file(dir / "empty/model.safetensors"));
  // A file that fails after the checks (a non-finite weight) leaves neither the output nor
  // the staging folder behind.
  GgufWriter w;
  const auto m = CausalLM::random(tiny_config("LlamaForCausalLM", true, 269), c10::kCPU, at::kFloat, 1);
  {
    at::NoGradGuard g;
    for (auto& [name, t] : m->base_parameters())
      if (name == "model.layers.1.post_attention_layernorm.weight") t[5] = std::nanf("");
  }
  add_model_metadata(w, m->config(), "llama");
  add_model_tensors(w, *m, true);
  w.write(dir / "bad.gguf");
  EXPECT_THROW(gguf::import_gguf(dir / "bad.gguf", dir / "never", gguf::ImportOptions{at::kBFloat16, false}), Error);
  EXPECT_FALSE(fs::exists(dir / "never"));
  for (const auto& e : fs::directory_iterator(dir))
    EXPECT_EQ(e.path().filename().string().find(".partial"), std::string::npos) << e.path();
}

TEST(GgufImport, CommandLine) {
  const fs::path dir = fresh_dir("cli");
  write_tiny_llama(dir / "m.gguf", true);
  auto ok = socrates::test::run_socrates("import gguf " + (dir / "m.gguf").string() + " " + (dir / "out").string() +
                                             " --dtype float32",
                                         dir / "s1");
  EXPECT_EQ(ok.status, 0) << ok.err;
  EXPECT_THAT(ok.err, HasSubstr("import gguf: wrote"));
  EXPECT_THAT(ok.err, HasSubstr("20 tensors (20 F32) as float32"));
  EXPECT_EQ(read_json(dir / "out/config.json")["torch_dtype"], "float32");
  std::ofstream(dir / "junk.gguf") << "not a model";
  auto bad = socrates::test::run_socrates("import gguf " + (dir / "junk.gguf").string() + " " + (dir / "o2").string(),
                                          dir / "s2");
  EXPECT_EQ(bad.status, 1);
  EXPECT_THAT(bad.err, HasSubstr("junk.gguf: not a GGUF file"));
  auto dtype = socrates::test::run_socrates("import gguf " + (dir / "m.gguf").string() + " " + (dir / "o3").string() +
                                                " --dtype int8",
                                            dir / "s3");
  EXPECT_NE(dtype.status, 0);
  EXPECT_THAT(dtype.err, HasSubstr("--dtype must be bfloat16, float32 or float16"));
  auto help = socrates::test::run_socrates("import gguf --help", dir / "s4");
  EXPECT_EQ(help.status, 0);
  EXPECT_THAT(help.out, HasSubstr("socrates import gguf FILE OUT_DIR"));
}
