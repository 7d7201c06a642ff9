// Tokenizer interface, implemented by the host (byte-level BPE from tokenizer.json).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "socrates/abi.hpp"

namespace socrates {

class SOCRATES_API Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  /// Token ids of `text`. Added/special tokens written in the text ("<|im_end|>") are
  /// matched as single tokens. No BOS/EOS is added.
  virtual std::vector<std::int32_t> encode(std::string_view text) const = 0;
  /// Text of `ids`; special tokens are kept unless `skip_special`.
  virtual std::string decode(const std::vector<std::int32_t>& ids, bool skip_special = false) const = 0;
  /// Id of a token written exactly as `token` (e.g. "<|im_end|>"), if it exists.
  virtual std::optional<std::int32_t> token_id(std::string_view token) const = 0;
  /// Stable hash of vocabulary, merges and added tokens (for cache keys).
  virtual std::string fingerprint() const = 0;
};

}  // namespace socrates
