// Hugging Face tokenizer.json and tokenizer_config.json rebuilt from a GGUF file's
// tokenizer.ggml.* metadata (byte-level BPE, tokenizer.ggml.model = "gpt2").
#pragma once

#include <cstdint>
#include <string>

#include "gguf/gguf_file.hpp"

namespace socrates::gguf {

struct TokenizerFiles {
  std::string tokenizer_json;
  std::string tokenizer_config_json;
  std::int64_t vocab = 0;         // tokens in the file
  std::int64_t added_tokens = 0;  // control and user-defined tokens
  std::string pre;                // tokenizer.ggml.pre
};

/// The pre-tokenizers (tokenizer.ggml.pre) the import knows: "gpt-2", "smollm",
/// "starcoder", "refact", "qwen2", "llama-bpe"; for messages.
const char* supported_pre_tokenizers();

/// Builds both files. Token types: CONTROL (3) and UNKNOWN (2) become special added
/// tokens, USER_DEFINED (4) non-special added tokens; every token is in the BPE vocabulary.
/// The pre-tokenizer follows llama.cpp's table for tokenizer.ggml.pre (e.g. "smollm":
/// single digits, then the GPT-2 pattern; "qwen2": NFC and Qwen2's Split pattern).
/// `context_length` becomes model_max_length. Throws socrates::Error naming the file for
/// a SentencePiece or other non-BPE tokenizer, an unknown pre-tokenizer, missing or
/// malformed tokens/merges, or token ids out of range.
TokenizerFiles hf_tokenizer(const GgufFile& file, std::int64_t context_length);

}  // namespace socrates::gguf
