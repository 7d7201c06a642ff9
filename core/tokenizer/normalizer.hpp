// tokenizer.json "normalizer": Unicode normalization forms (NFC, NFD, NFKC, NFKD) via
// utf8proc, alone or in a Sequence. null means none.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace socrates::tok {

enum class NormalForm { NFC, NFD, NFKC, NFKD };

class Normalizer {
 public:
  /// From the tokenizer.json "normalizer" value (null, a form, or a Sequence of them).
  /// Throws std::invalid_argument naming an unsupported type.
  static Normalizer from_json(const nlohmann::json& j);

  bool empty() const { return forms_.empty(); }

  /// Normalizes valid UTF-8 `text`. Returns `text` itself when nothing changes (the common
  /// case, found by a quick check), else a view of `scratch`.
  std::string_view apply(std::string_view text, std::string& scratch) const;

 private:
  std::vector<NormalForm> forms_;
};

}  // namespace socrates::tok
