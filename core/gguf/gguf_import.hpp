// socrates import gguf: a llama.cpp GGUF file → a Hugging Face model folder that
// CausalLM::load and BpeTokenizer read (config.json, generation_config.json,
// model.safetensors, tokenizer.json, tokenizer_config.json, gguf_import.json).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include <c10/core/ScalarType.h>

namespace socrates::gguf {

struct ImportOptions {
  /// The dtype of model.safetensors. bfloat16 (default): the dtype SmolLM2, Qwen2.5 and Llama
  /// are published and trained in; rounding a dequantised 4/8-bit value to bfloat16 changes
  /// it by at most 2^-9 of its size, far below the quantisation step. float32 keeps ggml's
  /// dequantised values bit for bit (twice the size). float16 also works.
  c10::ScalarType dtype = c10::kBFloat16;
  bool tokenizer = true;  // false: no tokenizer.json/tokenizer_config.json (--skip-tokenizer)
};

struct ImportSummary {
  std::string architecture;                    // "llama"
  std::string name;                            // general.name, when present
  std::int64_t tensors = 0;                    // tensors written to model.safetensors
  std::map<std::string, std::int64_t> types;   // GGUF tensor types read: {"Q4_1": 210, ...}
  std::int64_t parameters = 0;
  std::int64_t vocab = 0, added_tokens = 0;    // tokenizer (0 when skipped)
  std::string pre_tokenizer;
  bool tied_embeddings = false;
  double seconds = 0;                          // wall time of the whole import
};

/// Imports `file` into the folder `out`, which must not exist or be empty. Everything is
/// written into a hidden staging folder beside `out` and renamed to `out` at the end, so
/// `out` either appears complete or not at all. Throws socrates::Error naming the file and
/// what to do for any bad input (see GgufFile::open, read_hparams, hf_tokenizer) and for
/// unsupported tensor types, unknown or missing tensors, and shapes that disagree with the
/// metadata.
ImportSummary import_gguf(const std::filesystem::path& file, const std::filesystem::path& out,
                          const ImportOptions& options = {});

}  // namespace socrates::gguf
