// The GGUF architectures Socrates imports, and GGUF tensor names → Hugging Face names.
#pragma once

#include <optional>
#include <string>

#include "gguf/gguf_file.hpp"

namespace socrates::gguf {

struct Architecture {
  std::string name;          // general.architecture: "llama", "qwen2"
  std::string hf_class;      // config.json "architectures": "LlamaForCausalLM"
  std::string model_type;    // config.json "model_type": "llama"
  bool rotary_permuted;      // convert_hf_to_gguf.py permuted q/k rows (llama: yes, qwen2: no)
  bool attention_bias;       // q/k/v carry biases (qwen2)
};

/// The architecture named by general.architecture. Throws socrates::Error naming the file
/// and listing the supported ones ("llama", "qwen2") when it is missing or another.
const Architecture& architecture_of(const GgufFile& file);

/// The Hugging Face name of a GGUF tensor ("blk.3.attn_q.weight" →
/// "model.layers.3.self_attn.q_proj.weight", "token_embd.weight" →
/// "model.embed_tokens.weight", "output.weight" → "lm_head.weight"); nullopt for a name
/// with no counterpart.
std::optional<std::string> hf_tensor_name(const std::string& gguf_name);

}  // namespace socrates::gguf
