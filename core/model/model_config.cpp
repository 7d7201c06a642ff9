#include "model/model_config.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "socrates/error.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace socrates {

const std::vector<std::string>& supported_architectures() {
  static const std::vector<std::string> a = {"Qwen2ForCausalLM", "LlamaForCausalLM"};
  return a;
}

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error(p.string() + ": cannot read (is this a Hugging Face model folder?)");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Reader {
  const json& j;
  const std::string& origin;

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw Error(origin + ": '" + key + "' " + what);
  }
  std::int64_t integer(const std::string& key) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) fail(key, "is missing");
    if (!it->is_number_integer()) fail(key, "must be an integer, got " + it->dump());
    std::int64_t v = it->get<std::int64_t>();
    if (v <= 0) fail(key, "must be positive, got " + std::to_string(v));
    return v;
  }
  std::int64_t integer_or(const std::string& key, std::int64_t fallback) const {
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? fallback : integer(key);
  }
  double number_or(const json& obj, const std::string& key, double fallback) const {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    if (!it->is_number()) fail(key, "must be a number, got " + it->dump());
    return it->get<double>();
  }
  bool boolean_or(const std::string& key, bool fallback) const {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) fail(key, "must be true or false, got " + it->dump());
    return it->get<bool>();
  }
};

void add_ids(const json& v, std::vector<std::int64_t>& out) {
  auto add = [&](const json& x) {
    if (x.is_number_integer() && std::find(out.begin(), out.end(), x.get<std::int64_t>()) == out.end())
      out.push_back(x.get<std::int64_t>());
  };
  if (v.is_array()) {
    for (const json& x : v) add(x);
  } else {
    add(v);
  }
}

c10::ScalarType parse_dtype(const std::string& s, const std::string& origin) {
  if (s == "float32" || s == "float") return c10::kFloat;
  if (s == "bfloat16") return c10::kBFloat16;
  if (s == "float16" || s == "half") return c10::kHalf;
  throw Error(origin + ": unsupported dtype \"" + s + "\" (float32, bfloat16, float16)");
}

}  // namespace

ModelConfig ModelConfig::from_json_text(const std::string& text, const std::string& origin) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw Error(origin + ": malformed JSON: " + e.what());
  }
  if (!j.is_object()) throw Error(origin + ": expected a JSON object");
  Reader r{j, origin};
  ModelConfig c;

  std::string arch;
  if (auto a = j.find("architectures"); a != j.end() && a->is_array() && !a->empty() && (*a)[0].is_string()) {
    arch = (*a)[0].get<std::string>();
  }
  const auto& supported = supported_architectures();
  if (std::find(supported.begin(), supported.end(), arch) == supported.end()) {
    std::string list;
    for (const auto& s : supported) list += (list.empty() ? "" : ", ") + s;
    throw Error(origin + ": architecture '" + (arch.empty() ? "(none)" : arch) + "' is not supported; supported: " +
                list);
  }
  c.architecture = arch;
  const bool qwen = arch == "Qwen2ForCausalLM";

  c.vocab_size = r.integer("vocab_size");
  c.hidden_size = r.integer("hidden_size");
  c.intermediate_size = r.integer("intermediate_size");
  c.num_layers = r.integer("num_hidden_layers");
  c.num_heads = r.integer("num_attention_heads");
  c.num_kv_heads = r.integer_or("num_key_value_heads", c.num_heads);
  if (c.num_heads % c.num_kv_heads != 0) {
    r.fail("num_key_value_heads", "(" + std::to_string(c.num_kv_heads) + ") must divide num_attention_heads (" +
                                      std::to_string(c.num_heads) + ")");
  }
  if (j.contains("head_dim") && !j["head_dim"].is_null()) {
    c.head_dim = r.integer("head_dim");
  } else {
    if (c.hidden_size % c.num_heads != 0) r.fail("hidden_size", "is not divisible by num_attention_heads");
    c.head_dim = c.hidden_size / c.num_heads;
  }
  if (c.head_dim % 2 != 0) r.fail("head_dim", "must be even for rotary embeddings");
  c.max_position_embeddings = r.integer_or("max_position_embeddings", 32768);
  c.rms_norm_eps = r.number_or(j, "rms_norm_eps", 1e-6);
  c.initializer_range = r.number_or(j, "initializer_range", 0.02);
  if (j.contains("embedding_initializer_range") && !j["embedding_initializer_range"].is_null()) {
    c.embedding_initializer_range = r.number_or(j, "embedding_initializer_range", c.initializer_range);
  }
  c.tie_word_embeddings = r.boolean_or("tie_word_embeddings", false);
  c.attention_bias = qwen ? true : r.boolean_or("attention_bias", false);
  c.mlp_bias = qwen ? false : r.boolean_or("mlp_bias", false);
  if (auto act = j.find("hidden_act"); act != j.end() && act->is_string() && *act != "silu") {
    r.fail("hidden_act", "must be \"silu\", got " + act->dump());
  }

  // RoPE: transformers >= 5 writes "rope_parameters"; older files "rope_theta" + "rope_scaling".
  const json* rope = nullptr;
  if (auto p = j.find("rope_parameters"); p != j.end() && p->is_object()) rope = &*p;
  if (auto p = j.find("rope_scaling"); !rope && p != j.end() && p->is_object()) rope = &*p;
  c.rope_theta = r.number_or(j, "rope_theta", 10000.0);
  if (rope) {
    c.rope_theta = r.number_or(*rope, "rope_theta", c.rope_theta);
    std::string type = "default";
    for (const char* k : {"rope_type", "type"})
      if (auto t = rope->find(k); t != rope->end() && t->is_string()) type = t->get<std::string>();
    if (type != "default" && type != "llama3") {
      r.fail("rope_scaling", "type \"" + type + "\" is not supported (default, llama3)");
    }
    c.rope_scaling.type = type;
    if (type == "llama3") {
      c.rope_scaling.factor = r.number_or(*rope, "factor", 8.0);
      c.rope_scaling.low_freq_factor = r.number_or(*rope, "low_freq_factor", 1.0);
      c.rope_scaling.high_freq_factor = r.number_or(*rope, "high_freq_factor", 4.0);
      c.rope_scaling.original_max_position_embeddings =
          static_cast<std::int64_t>(r.number_or(*rope, "original_max_position_embeddings", 8192));
    }
  }
  if (auto d = j.find("torch_dtype"); d != j.end() && d->is_string()) c.dtype = parse_dtype(*d, origin);
  if (auto d = j.find("dtype"); d != j.end() && d->is_string()) c.dtype = parse_dtype(*d, origin);
  if (auto e = j.find("eos_token_id"); e != j.end()) add_ids(*e, c.eos_token_ids);
  if (auto b = j.find("bos_token_id"); b != j.end() && b->is_number_integer()) c.bos_token_id = b->get<std::int64_t>();
  if (auto p = j.find("pad_token_id"); p != j.end() && p->is_number_integer()) c.pad_token_id = p->get<std::int64_t>();
  return c;
}

ModelConfig ModelConfig::from_folder(const fs::path& dir) {
  const fs::path file = dir / "config.json";
  if (!fs::is_directory(dir)) throw Error(dir.string() + ": not a directory (expected a Hugging Face model folder)");
  if (!fs::is_regular_file(file)) {
    throw Error(dir.string() + ": no config.json (expected a Hugging Face model folder with config.json and "
                               "*.safetensors)");
  }
  ModelConfig c = from_json_text(read_file(file), file.string());
  const fs::path gen = dir / "generation_config.json";
  if (fs::is_regular_file(gen)) {
    try {
      json g = json::parse(read_file(gen));
      if (auto e = g.find("eos_token_id"); e != g.end()) add_ids(*e, c.eos_token_ids);
    } catch (const json::parse_error& e) {
      throw Error(gen.string() + ": malformed JSON: " + e.what());
    }
  }
  return c;
}

std::int64_t ModelConfig::num_parameters() const {
  const std::int64_t q = num_heads * head_dim, kv = num_kv_heads * head_dim;
  const std::int64_t attn = hidden_size * (q + 2 * kv) + q * hidden_size + (attention_bias ? q + 2 * kv : 0);
  const std::int64_t mlp = 3 * hidden_size * intermediate_size;
  const std::int64_t layer = attn + mlp + 2 * hidden_size;
  const std::int64_t emb = vocab_size * hidden_size * (tie_word_embeddings ? 1 : 2);
  return num_layers * layer + emb + hidden_size;
}

double ModelConfig::linear_weights_per_layer() const {
  const double q = static_cast<double>(num_heads * head_dim), kv = static_cast<double>(num_kv_heads * head_dim),
               h = static_cast<double>(hidden_size);
  return h * (q + 2 * kv) + q * h + 3 * h * static_cast<double>(intermediate_size);
}

double ModelConfig::flops_per_token(std::int64_t seq_len) const {
  const double h = hidden_size;
  const double matmul = linear_weights_per_layer();
  // 2 FLOPs per multiply-add; causal attention: QK^T and AV over seq_len/2 keys on average.
  const double attn = 2.0 * 2.0 * num_heads * head_dim * (seq_len / 2.0);
  return num_layers * (2.0 * matmul + attn) + 2.0 * h * vocab_size;
}

}  // namespace socrates
