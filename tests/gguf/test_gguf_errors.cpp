// Every bad input gets a socrates::Error that names the file and says what to do, never a
// crash: truncation at every byte of the header, bad magic/version/endianness, unknown
// metadata and tensor types, bad alignment and offsets, unsupported architectures and
// tokenizers, missing/unknown/misshapen tensors, non-finite weights, random corruption.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "gguf/gguf_file.hpp"
#include "gguf/gguf_import.hpp"
#include "gguf_test_util.hpp"
#include "gguf_writer.hpp"
#include "socrates/error.hpp"

namespace fs = std::filesystem;
using namespace socrates;
using namespace socrates::testing;
using namespace socrates::gguf_test;
using ::testing::AllOf;
using ::testing::HasSubstr;

namespace {

// The error message of importing `bytes` (written to a file named bad.gguf), or "" when the
// import succeeds. Any exception other than socrates::Error fails the test.
std::string import_error(const std::string& bytes, gguf::ImportOptions o = {}) {
  const fs::path dir = fresh_dir("err");
  GgufWriter::write_bytes(dir / "bad.gguf", bytes);
  try {
    gguf::import_gguf(dir / "bad.gguf", dir / "out", o);
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_THAT(msg, HasSubstr("bad.gguf")) << "the message must name the file";
    EXPECT_FALSE(fs::exists(dir / "out"));
    fs::remove_all(dir);
    return msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not a socrates::Error: " << e.what();
    return e.what();
  }
  fs::remove_all(dir);
  return "";
}

std::string import_error(const GgufWriter& w, gguf::ImportOptions o = {}) { return import_error(w.bytes(), o); }

template <typename T>
void poke(std::string& bytes, std::size_t at, T v) {
  std::memcpy(bytes.data() + at, &v, sizeof(T));
}

// A minimal valid header (no tensors): magic, version, 0 tensors, 1 metadata entry.
std::string header_with(std::uint32_t type, const std::string& payload) {
  GgufWriter w;
  w.add("k", GgufValue{type, payload});
  return w.bytes();
}

}  // namespace

TEST(GgufErrors, TheValidFileImports) { EXPECT_EQ(import_error(tiny_llama_writer(true)), ""); }

TEST(GgufErrors, MagicVersionAndEndianness) {
  EXPECT_THAT(import_error(std::string()), HasSubstr("not a GGUF file (it does not start with the magic bytes"));
  EXPECT_THAT(import_error(std::string("GGML\x03\0\0\0", 8)), HasSubstr("not a GGUF file"));
  std::string b = tiny_llama_writer(true).bytes();
  poke<std::uint32_t>(b, 4, 1);
  EXPECT_THAT(import_error(b), HasSubstr("GGUF version 1 is not supported (versions 2 and 3 are)"));
  poke<std::uint32_t>(b, 4, 4);
  EXPECT_THAT(import_error(b), HasSubstr("unsupported GGUF version 4"));
  poke<std::uint32_t>(b, 4, 0x03000000u);
  EXPECT_THAT(import_error(b), HasSubstr("a big-endian GGUF file (version 3)"));
  const fs::path dir = fresh_dir("nofile");
  EXPECT_THAT([&] { gguf::import_gguf(dir / "absent.gguf", dir / "out"); },
              ::testing::ThrowsMessage<Error>(HasSubstr("absent.gguf: no such file")));
  EXPECT_THAT([&] { gguf::import_gguf(dir, dir / "out"); }, ::testing::ThrowsMessage<Error>(HasSubstr("no such file")));
}

TEST(GgufErrors, TruncatedAtEveryByteOfTheHeader) {
  // Every cut of a small file with each kind of metadata and tensor info, then 300 cuts
  // spread over the header of the tiny llama (tokens, merges, 20 tensor infos).
  GgufWriter small;
  small.add("general.architecture", gguf_str("llama"));
  small.add("u8", gguf_u8(1));
  small.add("f64", gguf_f64(2.0));
  small.add("yes", gguf_bool(true));
  small.add("strings", gguf_strings({"a", "bc"}));
  small.add("nested", gguf_array(9, {gguf_array(4, {gguf_u32(7)})}));
  small.add_tensor("t", {32, 2}, 3, std::string(40, '\0'));
  const fs::path dir = fresh_dir("trunc");
  for (const std::string& full : {small.bytes(), tiny_llama_writer(true).bytes()}) {
    GgufWriter::write_bytes(dir / "full.gguf", full);
    const std::uint64_t data_offset = gguf::GgufFile::open(dir / "full.gguf").data_offset();
    const std::size_t step = std::max<std::size_t>(1, data_offset / 300);
    for (std::size_t n = 4; n < data_offset; n += step) {  // (shorter: "not a GGUF file")
      GgufWriter::write_bytes(dir / "cut.gguf", full.substr(0, n));
      try {
        gguf::GgufFile::open(dir / "cut.gguf");
        ADD_FAILURE() << "a file cut at byte " << n << " opened";
      } catch (const Error& e) {
        EXPECT_THAT(e.what(), AllOf(HasSubstr("cut.gguf: "), HasSubstr("truncated or corrupt"))) << n;
      }
    }
    // Cut inside the tensor data (the last tensor ends at most 24 bytes before the end).
    GgufWriter::write_bytes(dir / "cut.gguf", full.substr(0, full.size() - 40));
    EXPECT_THAT([&] { gguf::GgufFile::open(dir / "cut.gguf"); },
                ::testing::ThrowsMessage<Error>(
                    AllOf(HasSubstr("lies past the end of the file"), HasSubstr("download it again"))));
  }
}

TEST(GgufErrors, MetadataValues) {
  EXPECT_THAT(import_error(header_with(13, "")), HasSubstr("metadata 'k' has unknown value type 13 (GGUF defines 0-12)"));
  EXPECT_THAT(import_error(header_with(7, std::string(1, '\x02'))), HasSubstr("metadata 'k' is a bool stored as 2"));
  // An array that claims more elements than the file has bytes.
  std::string huge = std::string("\x04\0\0\0", 4) + std::string("\xff\xff\xff\xff\xff\xff\x00\x00", 8);
  EXPECT_THAT(import_error(header_with(9, huge)), HasSubstr("claims 281474976710655 values in metadata 'k'"));
  EXPECT_THAT(import_error(header_with(9, std::string("\x63\0\0\0\x01\0\0\0\0\0\0\0", 12))),
              HasSubstr("an array of unknown value type 99"));
  // Arrays nested too deep.
  GgufValue v = gguf_array(4, {});
  for (int i = 0; i < 10; ++i) v = gguf_array(9, {v});
  EXPECT_THAT(import_error(header_with(9, v.payload)), HasSubstr("nests arrays more than 8 deep"));
  // A string longer than the rest of the file.
  EXPECT_THAT(import_error(header_with(8, std::string("\xff\xff\0\0\0\0\0\0", 8))),
              HasSubstr("a string of 65535 bytes"));
  GgufWriter dup = tiny_llama_writer(true);
  dup.add("general.name", gguf_str("again"));
  EXPECT_THAT(import_error(dup), HasSubstr("metadata key 'general.name' appears twice"));
  // Counts larger than the file.
  std::string b = tiny_llama_writer(true).bytes();
  poke<std::uint64_t>(b, 16, 1ull << 50);
  EXPECT_THAT(import_error(b), HasSubstr("claims 1125899906842624 metadata entries"));
}

TEST(GgufErrors, TensorInfos) {
  GgufWriter align = tiny_llama_writer(true);
  align.add("general.alignment", gguf_u32(24));
  EXPECT_THAT(import_error(align), HasSubstr("general.alignment must be a positive power of two, got 24"));
  GgufWriter dims0 = tiny_llama_writer(true);
  dims0.add_tensor("x", {}, 0, "");
  EXPECT_THAT(import_error(dims0), HasSubstr("tensor info 'x' has 0 dimensions (GGUF allows 1 to 4)"));
  GgufWriter dims5 = tiny_llama_writer(true);
  dims5.add_tensor("x", {1, 1, 1, 1, 1}, 0, std::string(4, '\0'));
  EXPECT_THAT(import_error(dims5), HasSubstr("has 5 dimensions"));
  GgufWriter unaligned = tiny_llama_writer(true);
  unaligned.add_tensor("x", {4}, 0, std::string(16, '\0'), 8);
  EXPECT_THAT(import_error(unaligned), HasSubstr("tensor 'x' starts at data offset 8, which is not a multiple of the alignment 32"));
  GgufWriter past = tiny_llama_writer(true);
  past.add_tensor("x", {4}, 0, std::string(16, '\0'), 1ull << 40);
  EXPECT_THAT(import_error(past), HasSubstr("tensor 'x' (16 bytes at byte"));
  EXPECT_THAT(import_error(past), HasSubstr("lies past the end of the file"));
  GgufWriter wrap = tiny_llama_writer(true);
  wrap.add_tensor("x", {4}, 0, std::string(16, '\0'), ~0ull - 31);
  EXPECT_THAT(import_error(wrap), HasSubstr("lies past the end of the file"));
  GgufWriter twice = tiny_llama_writer(true);
  twice.add_f32("output_norm.weight", {32}, std::vector<float>(32, 1.0f));
  EXPECT_THAT(import_error(twice), HasSubstr("tensor 'output_norm.weight' appears twice"));
  GgufWriter block = tiny_llama_writer(true);
  block.add_tensor("x", {16}, 8, std::string(34, '\0'));
  EXPECT_THAT(import_error(block), HasSubstr("tensor 'x' (Q8_0) has rows of 16 values, not a multiple of the block size 32"));
  GgufWriter huge = tiny_llama_writer(true);
  huge.add_tensor("x", {1ull << 30, 1ull << 30, 1ull << 30}, 0, "");
  EXPECT_THAT(import_error(huge), HasSubstr("has an impossible dimension"));
}

TEST(GgufErrors, UnsupportedTensorTypesAreListed) {
  GgufWriter w = tiny_llama_writer(true);
  w.remove_tensor("blk.0.ffn_up.weight");
  w.remove_tensor("blk.1.ffn_up.weight");
  w.add_tensor("blk.0.ffn_up.weight", {256, 48 * 32 / 256}, 12, std::string(144 * 6, '\0'));  // Q4_K
  w.add_tensor("blk.1.ffn_up.weight", {256, 6}, 14, std::string(210 * 6, '\0'));             // Q6_K
  EXPECT_THAT(import_error(w), AllOf(HasSubstr("has tensors of types Socrates cannot dequantise (1 Q4_K, 1 Q6_K; "
                                               "supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1)"),
                                     HasSubstr("use a GGUF file of the model quantised as Q8_0")));
  GgufWriter unknown = tiny_llama_writer(true);
  unknown.add_tensor("x", {4}, 77, "");
  EXPECT_THAT(import_error(unknown), HasSubstr("(1 type 77;"));
}

TEST(GgufErrors, ArchitectureAndHyperParameters) {
  GgufWriter arch = tiny_llama_writer(true);
  arch.set("general.architecture", gguf_str("gpt2"));
  EXPECT_THAT(import_error(arch), HasSubstr("architecture 'gpt2' is not supported (supported: llama, qwen2"));
  GgufWriter none = tiny_llama_writer(true);
  none.remove("general.architecture");
  EXPECT_THAT(import_error(none), HasSubstr("metadata 'general.architecture' is missing"));
  GgufWriter layers = tiny_llama_writer(true);
  layers.remove("llama.block_count");
  EXPECT_THAT(import_error(layers), HasSubstr("metadata 'llama.block_count' is missing"));
  GgufWriter type = tiny_llama_writer(true);
  type.set("llama.block_count", gguf_str("two"));
  EXPECT_THAT(import_error(type), HasSubstr("metadata 'llama.block_count' must be an integer, got string \"two\""));
  GgufWriter zero = tiny_llama_writer(true);
  zero.set("llama.attention.head_count", gguf_u32(0));
  EXPECT_THAT(import_error(zero), HasSubstr("'llama.attention.head_count' must be positive, got 0"));
  GgufWriter kv = tiny_llama_writer(true);
  kv.set("llama.attention.head_count_kv", gguf_u32(3));
  EXPECT_THAT(import_error(kv), HasSubstr("head_count_kv' (3) must divide attention.head_count (4)"));
  GgufWriter rot = tiny_llama_writer(true);
  rot.set("llama.rope.dimension_count", gguf_u32(4));
  EXPECT_THAT(import_error(rot), HasSubstr("partial rotary embeddings are not supported"));
  GgufWriter scaling = tiny_llama_writer(true);
  scaling.add("llama.rope.scaling.type", gguf_str("yarn"));
  EXPECT_THAT(import_error(scaling), HasSubstr("rope scaling is not carried over"));
  GgufWriter freqs = tiny_llama_writer(true);
  freqs.add_f32("rope_freqs.weight", {4}, {1, 1, 1, 1});
  EXPECT_THAT(import_error(freqs), HasSubstr("tensor 'rope_freqs.weight' holds Llama 3.1-style rope scaling factors"));
  GgufWriter vocab = tiny_llama_writer(true);
  vocab.add("llama.vocab_size", gguf_u32(1000));
  EXPECT_THAT(import_error(vocab), HasSubstr("'llama.vocab_size' is 1000 but token_embd.weight has 269 rows"));
  GgufWriter eos = tiny_llama_writer(true);
  eos.set("tokenizer.ggml.eos_token_id", gguf_u32(5000));
  EXPECT_THAT(import_error(eos), HasSubstr("'tokenizer.ggml.eos_token_id' is 5000, outside the vocabulary of 269"));
}

TEST(GgufErrors, Tensors) {
  GgufWriter missing = tiny_llama_writer(true);
  missing.remove_tensor("blk.1.attn_v.weight");
  EXPECT_THAT(import_error(missing), HasSubstr("the tensor for model.layers.1.self_attn.v_proj.weight is missing (a "
                                               "llama model with 2 layers needs it)"));
  GgufWriter embd = tiny_llama_writer(true);
  embd.remove_tensor("token_embd.weight");
  EXPECT_THAT(import_error(embd), HasSubstr("tensor 'token_embd.weight' is missing"));
  GgufWriter unknown = tiny_llama_writer(true);
  unknown.add_f32("blk.0.attn_rot_embd", {4}, {1, 1, 1, 1});
  EXPECT_THAT(import_error(unknown), HasSubstr("tensor 'blk.0.attn_rot_embd' has no Hugging Face counterpart"));
  GgufWriter layer = tiny_llama_writer(true);
  layer.add_f32("blk.5.attn_norm.weight", {32}, std::vector<float>(32, 1.0f));
  EXPECT_THAT(import_error(layer), HasSubstr("is not part of a llama model with 2 layers (check llama.block_count)"));
  GgufWriter bias = tiny_llama_writer(true);
  bias.add_f32("blk.0.attn_q.bias", {32}, std::vector<float>(32, 0.0f));
  EXPECT_THAT(import_error(bias), HasSubstr("(this architecture has no such bias)"));
  GgufWriter shape = tiny_llama_writer(true);
  shape.remove_tensor("blk.0.ffn_down.weight");
  shape.add_f32("blk.0.ffn_down.weight", {48, 32}, std::vector<float>(48 * 32, 0.0f));
  EXPECT_THAT(import_error(shape), HasSubstr("tensor 'blk.0.ffn_down.weight' has shape [48, 32] (GGUF dims [32, 48]) "
                                             "but the metadata implies [32, 48]"));
  GgufWriter nan = tiny_llama_writer(true);
  nan.remove_tensor("output_norm.weight");
  std::vector<float> v(32, 1.0f);
  v[3] = std::numeric_limits<float>::infinity();
  nan.add_f32("output_norm.weight", {32}, v);
  EXPECT_THAT(import_error(nan), HasSubstr("tensor 'output_norm.weight' holds a value that is not finite (at index 3)"));
  GgufWriter big = tiny_llama_writer(true);
  big.remove_tensor("output_norm.weight");
  big.add_f32("output_norm.weight", {32}, std::vector<float>(32, 1e6f));
  gguf::ImportOptions half;
  half.dtype = at::kHalf;
  EXPECT_THAT(import_error(big, half), HasSubstr("values too large for float16; import as bfloat16 or float32"));
  EXPECT_EQ(import_error(big), "");  // bfloat16 holds them
}

TEST(GgufErrors, Tokenizers) {
  GgufWriter spm = tiny_llama_writer(true);
  spm.set("tokenizer.ggml.model", gguf_str("llama"));
  EXPECT_THAT(import_error(spm), AllOf(HasSubstr("tokenizer.ggml.model is \"llama\"; the import rebuilds byte-level BPE"),
                                       HasSubstr("import with --skip-tokenizer")));
  gguf::ImportOptions skip;
  skip.tokenizer = false;
  EXPECT_EQ(import_error(spm, skip), "");
  GgufWriter pre = tiny_llama_writer(true);
  pre.set("tokenizer.ggml.pre", gguf_str("deepseek-llm"));
  EXPECT_THAT(import_error(pre), HasSubstr("tokenizer.ggml.pre is \"deepseek-llm\", a pre-tokenizer the import does not know"));
  GgufWriter merge = tiny_llama_writer(true);
  merge.set("tokenizer.ggml.merges", gguf_strings({"h e", "hel"}));
  EXPECT_THAT(import_error(merge), HasSubstr("tokenizer.ggml.merges[1] is \"hel\", not two tokens separated by one space"));
  GgufWriter types = tiny_llama_writer(true);
  types.set("tokenizer.ggml.token_type", gguf_i32s({1, 1}));
  EXPECT_THAT(import_error(types), HasSubstr("tokenizer.ggml.token_type has 2 entries but tokenizer.ggml.tokens has 269"));
  GgufWriter tokens = tiny_llama_writer(true);
  tokens.set("tokenizer.ggml.tokens", gguf_i32s({1, 2}));
  EXPECT_THAT(import_error(tokens), HasSubstr("'tokenizer.ggml.tokens' must be an array of string, got an array of int32"));
  GgufWriter utf8 = tiny_llama_writer(true);
  utf8.set("tokenizer.chat_template", gguf_str("\xff\xfe"));
  EXPECT_THAT(import_error(utf8), HasSubstr("not valid UTF-8"));
  GgufWriter none = tiny_llama_writer(true);
  none.remove("tokenizer.ggml.model");
  EXPECT_THAT(import_error(none), HasSubstr("'tokenizer.ggml.model' is missing: the file has no tokenizer"));
}

TEST(GgufErrors, RandomCorruptionNeverCrashes) {
  const std::string full = tiny_llama_writer(true).bytes();
  const fs::path dir = fresh_dir("fuzz");
  GgufWriter::write_bytes(dir / "full.gguf", full);
  const std::uint64_t header = gguf::GgufFile::open(dir / "full.gguf").data_offset();
  std::mt19937_64 rng(42);
  int failed = 0;
  for (int i = 0; i < 150; ++i) {
    std::string b = full;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) b[rng() % header] = static_cast<char>(rng());
    if (!import_error(b).empty()) ++failed;
  }
  EXPECT_GT(failed, 50);  // most corruptions are caught; the rest change a value harmlessly
}
