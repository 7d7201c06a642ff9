// Shared pieces of the GGUF tests: scratch folders, a tiny model written as a GGUF file the
// way llama.cpp's convert_hf_to_gguf.py writes it, and a tiny byte-level BPE vocabulary.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "gguf_writer.hpp"
#include "model/causal_lm.hpp"

namespace socrates::gguf_test {

/// A new empty scratch folder under the temp directory.
std::filesystem::path fresh_dir(const std::string& tag);

/// A tiny ModelConfig: "LlamaForCausalLM" or "Qwen2ForCausalLM", 2 layers, 4 heads (2 kv),
/// head size 8, vocabulary `vocab`.
ModelConfig tiny_config(const std::string& hf_arch, bool tied, std::int64_t vocab = 265);

/// convert_hf_to_gguf.py's LlamaModel.permute written out index by index (independent of
/// core/gguf/gguf_rotary): row h*d + 2*i + j of the result is row h*d + j*d/2 + i of `w`.
at::Tensor reference_permute(const at::Tensor& w, std::int64_t n_head);

/// The metadata keys of a GGUF file for `c` (general.*, {arch}.*), as convert_hf_to_gguf.py
/// writes them.
void add_model_metadata(testing::GgufWriter& w, const ModelConfig& c, const std::string& gguf_arch);

/// Every tensor of `m` as float32 with GGUF names; q/k rows permuted when `permute`.
void add_model_tensors(testing::GgufWriter& w, const CausalLM& m, bool permute);

/// The GPT-2 byte-to-unicode character of byte `b`, UTF-8 encoded ("Ġ" for ' ').
std::string byte_char(unsigned char b);

/// A tiny byte-level BPE vocabulary: 3 control tokens (<|endoftext|>, <|im_start|>,
/// <|im_end|>), one user-defined token (<tool>), the 256 byte characters, then merges
/// "ld", then merges building "he", "ll", "hell", "hello", "Ġw", "Ġwo", "Ġwor", "Ġworld" (269 tokens).
struct TinyVocab {
  std::vector<std::string> tokens;
  std::vector<std::int32_t> types;
  std::vector<std::string> merges;
  std::int32_t id(const std::string& token) const;
};
TinyVocab tiny_vocab();

/// tokenizer.ggml.* metadata for `v` (pre-tokenizer `pre`, a ChatML chat template).
void add_tokenizer_metadata(testing::GgufWriter& w, const TinyVocab& v, const std::string& pre = "smollm");

/// The writer of a complete tiny llama GGUF file (see write_tiny_llama), to change before writing.
testing::GgufWriter tiny_llama_writer(bool tied, std::uint64_t seed = 1);

/// A complete tiny llama GGUF file (random weights from `seed`, q/k permuted, tokenizer),
/// and the model it was made from.
std::unique_ptr<CausalLM> write_tiny_llama(const std::filesystem::path& file, bool tied, std::uint64_t seed = 1);

}  // namespace socrates::gguf_test
