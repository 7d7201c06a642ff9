#include "gguf/gguf_tensor_plan.hpp"

#include <map>
#include <set>

#include "gguf/gguf_types.hpp"

namespace socrates::gguf {

namespace {

std::string shape_string(const std::vector<std::int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// Every tensor a model with these hyper-parameters has, by Hugging Face name, with its shape.
std::map<std::string, std::vector<std::int64_t>> expected_tensors(const Architecture& arch, const HParams& hp) {
  const std::int64_t h = hp.hidden_size, q = hp.num_heads * hp.head_dim, kv = hp.num_kv_heads * hp.head_dim;
  std::map<std::string, std::vector<std::int64_t>> e = {{"model.embed_tokens.weight", {hp.vocab_size, h}},
                                                        {"model.norm.weight", {h}}};
  if (!hp.tie_word_embeddings) e["lm_head.weight"] = {hp.vocab_size, h};
  for (std::int64_t l = 0; l < hp.num_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    e[p + "input_layernorm.weight"] = {h};
    e[p + "post_attention_layernorm.weight"] = {h};
    e[p + "self_attn.q_proj.weight"] = {q, h};
    e[p + "self_attn.k_proj.weight"] = {kv, h};
    e[p + "self_attn.v_proj.weight"] = {kv, h};
    e[p + "self_attn.o_proj.weight"] = {h, q};
    e[p + "mlp.gate_proj.weight"] = {hp.intermediate_size, h};
    e[p + "mlp.up_proj.weight"] = {hp.intermediate_size, h};
    e[p + "mlp.down_proj.weight"] = {h, hp.intermediate_size};
    if (arch.attention_bias) {
      e[p + "self_attn.q_proj.bias"] = {q};
      e[p + "self_attn.k_proj.bias"] = {kv};
      e[p + "self_attn.v_proj.bias"] = {kv};
    }
  }
  return e;
}

}  // namespace

std::vector<TensorPlan> plan_tensors(const GgufFile& f, const Architecture& arch, const HParams& hp) {
  std::map<std::string, std::int64_t> unsupported;
  for (const TensorInfo& t : f.tensors())
    if (!supported_layout(t.type)) ++unsupported[tensor_type_name(t.type)];
  if (!unsupported.empty()) {
    std::string list;
    for (const auto& [type, n] : unsupported) list += (list.empty() ? "" : ", ") + std::to_string(n) + " " + type;
    f.fail("has tensors of types Socrates cannot dequantise (" + list + "; supported: " + supported_tensor_types() +
           "); use a GGUF file of the model quantised as Q8_0, Q4_0 or Q4_1, or in F16/BF16/F32");
  }
  const auto expected = expected_tensors(arch, hp);
  std::vector<TensorPlan> plan;
  std::set<std::string> seen;
  for (const TensorInfo& t : f.tensors()) {
    const auto name = hf_tensor_name(t.name);
    if (!name)
      f.fail("tensor '" + t.name + "' has no Hugging Face counterpart in a " + arch.name +
             " model; the file holds another architecture or extra tensors the import does not handle");
    const auto it = expected.find(*name);
    if (it == expected.end())
      f.fail("tensor '" + t.name + "' (" + *name + ") is not part of a " + arch.name + " model with " +
             std::to_string(hp.num_layers) + " layers" +
             (t.name.starts_with("blk.") ? " (check " + arch.name + ".block_count)" : std::string()) +
             (t.name.ends_with(".bias") ? " (this architecture has no such bias)" : std::string()));
    if (t.shape() != it->second)
      f.fail("tensor '" + t.name + "' has shape " + shape_string(t.shape()) + " (GGUF dims " + t.dims_string() +
             ") but the metadata implies " + shape_string(it->second) + " for " + *name);
    TensorPlan p{&t, *name, it->second, 0};
    if (arch.rotary_permuted && name->find("self_attn.q_proj.") != std::string::npos) p.unpermute_heads = hp.num_heads;
    if (arch.rotary_permuted && name->find("self_attn.k_proj.") != std::string::npos) p.unpermute_heads = hp.num_kv_heads;
    seen.insert(*name);
    plan.push_back(std::move(p));
  }
  for (const auto& [name, shape] : expected)
    if (!seen.count(name))
      f.fail("the tensor for " + name + " is missing (a " + arch.name + " model with " + std::to_string(hp.num_layers) +
             " layers needs it); the file is incomplete");
  return plan;
}

}  // namespace socrates::gguf
