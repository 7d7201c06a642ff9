#include "gguf/gguf_arch.hpp"

#include <array>
#include <charconv>

namespace socrates::gguf {

namespace {

const std::array<Architecture, 2> kArchitectures = {{
    {"llama", "LlamaForCausalLM", "llama", /*rotary_permuted=*/true, /*attention_bias=*/false},
    {"qwen2", "Qwen2ForCausalLM", "qwen2", /*rotary_permuted=*/false, /*attention_bias=*/true},
}};

// llama.cpp's per-layer tensor names (gguf-py/gguf/constants.py) and transformers' names.
const std::array<std::pair<const char*, const char*>, 9> kLayerNames = {{
    {"attn_norm", "input_layernorm"},
    {"attn_q", "self_attn.q_proj"},
    {"attn_k", "self_attn.k_proj"},
    {"attn_v", "self_attn.v_proj"},
    {"attn_output", "self_attn.o_proj"},
    {"ffn_norm", "post_attention_layernorm"},
    {"ffn_gate", "mlp.gate_proj"},
    {"ffn_up", "mlp.up_proj"},
    {"ffn_down", "mlp.down_proj"},
}};

}  // namespace

const Architecture& architecture_of(const GgufFile& file) {
  const auto name = file.get_string_or("general.architecture");
  if (!name) file.fail("metadata 'general.architecture' is missing; this is not a llama.cpp model file");
  for (const Architecture& a : kArchitectures)
    if (a.name == *name) return a;
  file.fail("architecture '" + *name +
            "' is not supported (supported: llama, qwen2: Llama 2/3 without rope scaling, SmolLM, Qwen2/2.5); use a "
            "Hugging Face folder of the model instead");
}

std::optional<std::string> hf_tensor_name(const std::string& g) {
  std::string base, suffix;
  if (g.ends_with(".weight")) {
    base = g.substr(0, g.size() - 7), suffix = ".weight";
  } else if (g.ends_with(".bias")) {
    base = g.substr(0, g.size() - 5), suffix = ".bias";
  } else {
    return std::nullopt;
  }
  if (suffix == ".weight") {
    if (base == "token_embd") return "model.embed_tokens.weight";
    if (base == "output_norm") return "model.norm.weight";
    if (base == "output") return "lm_head.weight";
  }
  if (!base.starts_with("blk.")) return std::nullopt;
  const auto dot = base.find('.', 4);
  if (dot == std::string::npos || dot == 4) return std::nullopt;
  unsigned layer = 0;
  const char* first = base.data() + 4;
  const char* last = base.data() + dot;
  const auto [end, ec] = std::from_chars(first, last, layer);
  if (ec != std::errc() || end != last || (*first == '0' && last - first > 1)) return std::nullopt;
  const std::string part = base.substr(dot + 1);
  for (const auto& [gguf_part, hf_part] : kLayerNames) {
    if (part == gguf_part) return "model.layers." + std::to_string(layer) + "." + hf_part + suffix;
  }
  return std::nullopt;
}

}  // namespace socrates::gguf
