#include "gguf_test_util.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include <ATen/ops/empty_like.h>

namespace fs = std::filesystem;
using socrates::testing::GgufWriter;

namespace socrates::gguf_test {

namespace {
// Removes the scratch folders when the test program ends.
struct ScratchFolders {
  std::vector<fs::path> dirs;
  ~ScratchFolders() {
    std::error_code ec;
    for (const auto& d : dirs) fs::remove_all(d, ec);
  }
};
}  // namespace

fs::path fresh_dir(const std::string& tag) {
  static int n = 0;
  static ScratchFolders scratch;
  fs::path d = fs::temp_directory_path() /
               ("socrates-gguf-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
  fs::remove_all(d);
  fs::create_directories(d);
  scratch.dirs.push_back(d);
  return d;
}

ModelConfig tiny_config(const std::string& hf_arch, bool tied, std::int64_t vocab) {
  return ModelConfig::from_json_text(R"({"architectures": [")" + hf_arch + R"("], "vocab_size": )" +
                                         std::to_string(vocab) + R"(, "hidden_size": 32,
    "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
    "rms_norm_eps": 1e-5, "rope_theta": 100000.0, "max_position_embeddings": 512, "tie_word_embeddings": )" +
                                         (tied ? "true" : "false") + "}",
                                     "test");
}

at::Tensor reference_permute(const at::Tensor& w, std::int64_t n_head) {
  const at::Tensor src = w.contiguous();
  at::Tensor out = at::empty_like(src);
  const std::int64_t rows = src.size(0), d = rows / n_head, row = src.numel() / rows;
  for (std::int64_t h = 0; h < n_head; ++h)
    for (std::int64_t i = 0; i < d / 2; ++i)
      for (std::int64_t j = 0; j < 2; ++j)
        out.view({rows, row})[h * d + 2 * i + j].copy_(src.view({rows, row})[h * d + j * d / 2 + i]);
  return out;
}

void add_model_metadata(GgufWriter& w, const ModelConfig& c, const std::string& a) {
  using namespace socrates::testing;
  w.add("general.architecture", gguf_str(a));
  w.add("general.name", gguf_str("Tiny " + a));
  w.add(a + ".block_count", gguf_u32(static_cast<std::uint32_t>(c.num_layers)));
  w.add(a + ".context_length", gguf_u32(static_cast<std::uint32_t>(c.max_position_embeddings)));
  w.add(a + ".embedding_length", gguf_u32(static_cast<std::uint32_t>(c.hidden_size)));
  w.add(a + ".feed_forward_length", gguf_u32(static_cast<std::uint32_t>(c.intermediate_size)));
  w.add(a + ".attention.head_count", gguf_u32(static_cast<std::uint32_t>(c.num_heads)));
  w.add(a + ".attention.head_count_kv", gguf_u32(static_cast<std::uint32_t>(c.num_kv_heads)));
  w.add(a + ".rope.freq_base", gguf_f32(static_cast<float>(c.rope_theta)));
  w.add(a + ".attention.layer_norm_rms_epsilon", gguf_f32(static_cast<float>(c.rms_norm_eps)));
  w.add(a + ".rope.dimension_count", gguf_u32(static_cast<std::uint32_t>(c.head_dim)));
  w.add("general.file_type", gguf_u32(0));
}

namespace {
std::vector<float> values(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

std::string gguf_name(const std::string& hf) {
  static const std::pair<const char*, const char*> parts[] = {
      {"input_layernorm", "attn_norm"}, {"self_attn.q_proj", "attn_q"}, {"self_attn.k_proj", "attn_k"},
      {"self_attn.v_proj", "attn_v"},   {"self_attn.o_proj", "attn_output"}, {"post_attention_layernorm", "ffn_norm"},
      {"mlp.gate_proj", "ffn_gate"},    {"mlp.up_proj", "ffn_up"},   {"mlp.down_proj", "ffn_down"}};
  if (hf == "model.embed_tokens.weight") return "token_embd.weight";
  if (hf == "model.norm.weight") return "output_norm.weight";
  if (hf == "lm_head.weight") return "output.weight";
  const std::string pre = "model.layers.";
  const auto dot = hf.find('.', pre.size());
  const std::string layer = hf.substr(pre.size(), dot - pre.size());
  const std::string rest = hf.substr(dot + 1);
  for (const auto& [h, g] : parts)
    if (rest.starts_with(std::string(h) + ".")) return "blk." + layer + "." + g + rest.substr(std::strlen(h));
  throw std::invalid_argument("no GGUF name for " + hf);
}
}  // namespace

void add_model_tensors(GgufWriter& w, const CausalLM& m, bool permute) {
  const ModelConfig& c = m.config();
  for (const auto& [name, t] : m.export_tensors(at::kFloat)) {
    at::Tensor x = t;
    if (permute && name.find("q_proj") != std::string::npos) x = reference_permute(x, c.num_heads);
    if (permute && name.find("k_proj") != std::string::npos) x = reference_permute(x, c.num_kv_heads);
    w.add_f32(gguf_name(name), x.sizes().vec(), values(x));
  }
}

std::string byte_char(unsigned char b) {
  // GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to 256 + n.
  std::uint32_t cp = b;
  if (!((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174))) {
    int n = 0;
    for (int x = 0; x < b; ++x)
      if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || (x >= 174))) ++n;
    cp = 256 + static_cast<std::uint32_t>(n);
  }
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

std::int32_t TinyVocab::id(const std::string& token) const {
  const auto it = std::find(tokens.begin(), tokens.end(), token);
  if (it == tokens.end()) throw std::invalid_argument("no token " + token);
  return static_cast<std::int32_t>(it - tokens.begin());
}

TinyVocab tiny_vocab() {
  TinyVocab v;
  v.tokens = {"<|endoftext|>", "<|im_start|>", "<|im_end|>", "<tool>"};
  v.types = {3, 3, 3, 4};
  for (int b = 0; b < 256; ++b) {
    v.tokens.push_back(byte_char(static_cast<unsigned char>(b)));
    v.types.push_back(1);
  }
  const std::string G = byte_char(' ');
  const std::vector<std::pair<std::string, std::string>> merges = {
      {"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {G, "w"}, {G + "w", "o"}, {G + "wo", "r"}, {G + "wor", "ld"}};
  // "ld" is not a token yet: add it first so that the last merge is valid.
  v.tokens.push_back("ld");
  v.types.push_back(1);
  v.merges.push_back("l d");
  for (const auto& [a, b] : merges) {
    v.tokens.push_back(a + b);
    v.types.push_back(1);
    v.merges.push_back(a + " " + b);
  }
  return v;
}

void add_tokenizer_metadata(GgufWriter& w, const TinyVocab& v, const std::string& pre) {
  using namespace socrates::testing;
  w.add("tokenizer.ggml.model", gguf_str("gpt2"));
  w.add("tokenizer.ggml.pre", gguf_str(pre));
  w.add("tokenizer.ggml.tokens", gguf_strings(v.tokens));
  w.add("tokenizer.ggml.token_type", gguf_i32s(v.types));
  w.add("tokenizer.ggml.merges", gguf_strings(v.merges));
  w.add("tokenizer.ggml.bos_token_id", gguf_u32(1));
  w.add("tokenizer.ggml.eos_token_id", gguf_u32(2));
  w.add("tokenizer.ggml.unknown_token_id", gguf_u32(0));
  w.add("tokenizer.ggml.padding_token_id", gguf_u32(2));
  w.add("tokenizer.ggml.add_bos_token", gguf_bool(false));
  w.add("tokenizer.chat_template",
        gguf_str("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
                 "'<|im_end|>' + '\\n'}}{% endfor %}"));
}

GgufWriter tiny_llama_writer(bool tied, std::uint64_t seed) {
  GgufWriter w;
  const TinyVocab v = tiny_vocab();
  auto m = CausalLM::random(tiny_config("LlamaForCausalLM", tied, static_cast<std::int64_t>(v.tokens.size())),
                            c10::kCPU, at::kFloat, seed);
  add_model_metadata(w, m->config(), "llama");
  add_tokenizer_metadata(w, v);
  add_model_tensors(w, *m, /*permute=*/true);
  return w;
}

std::unique_ptr<CausalLM> write_tiny_llama(const fs::path& file, bool tied, std::uint64_t seed) {
  const TinyVocab v = tiny_vocab();
  auto m = CausalLM::random(tiny_config("LlamaForCausalLM", tied, static_cast<std::int64_t>(v.tokens.size())),
                            c10::kCPU, at::kFloat, seed);
  GgufWriter w;
  add_model_metadata(w, m->config(), "llama");
  add_tokenizer_metadata(w, v);
  add_model_tensors(w, *m, /*permute=*/true);
  w.write(file);
  return m;
}

}  // namespace socrates::gguf_test
