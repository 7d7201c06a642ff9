// Shared, header-only helpers of the in-tree prompt-format plugins (alpaca, socsci-chat):
// readable demographic labels, the masked and truncated token sequence, and fingerprints
// (hashed by the host). Everything here is inline and compiled into each plugin (hidden symbols).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "socrates/error.hpp"
#include "socrates/example.hpp"
#include "socrates/host.hpp"
#include "socrates/prompt_format.hpp"
#include "socrates/tokenizer.hpp"

namespace socrates::prompt_support {

// ---------------------------------------------------------------------------------------
// Demographics

/// A column name as SocSci210's own prompts write it: '_' as spaces and each word
/// capitalised (Python's str.title() on lowercase keys): "party_id" -> "Party Id".
inline std::string dataset_label(std::string_view key) {
  std::string out;
  bool word_start = true;
  for (char c : key) {
    if (c == '_' || c == ' ') {
      out += ' ';
      word_start = true;
    } else {
      out += (word_start && c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
      word_start = false;
    }
  }
  return out;
}

/// The readable label of a SocSci210 demographic column. The 16 columns have a fixed
/// mapping (the same as dataset_label except "Party ID"); any other key uses dataset_label.
inline std::string demographic_label(std::string_view key) {
  static constexpr std::pair<std::string_view, std::string_view> kLabels[] = {
      {"age", "Age"},
      {"gender", "Gender"},
      {"education", "Education"},
      {"employment", "Employment"},
      {"ethnicity", "Ethnicity"},
      {"income", "Income"},
      {"party_id", "Party ID"},
      {"ideology", "Ideology"},
      {"location", "Location"},
      {"marital_status", "Marital Status"},
      {"household_size", "Household Size"},
      {"housing_ownership", "Housing Ownership"},
      {"housing_type", "Housing Type"},
      {"metro_status", "Metro Status"},
      {"internet_access", "Internet Access"},
      {"phone_service", "Phone Service"},
  };
  for (const auto& [k, label] : kLabels)
    if (k == key) return std::string(label);
  return dataset_label(key);
}

using LabelFn = std::string (*)(std::string_view);

/// True if the value should be shown: present and not empty or only whitespace.
inline bool demographic_present(const std::optional<std::string>& v) {
  if (!v) return false;
  return v->find_first_not_of(" \t\r\n") != std::string::npos;
}

/// "Label: value" for every present demographic attribute, in the Example's (the
/// dataset's column) order.
inline std::vector<std::string> demographic_items(const Example& ex, LabelFn label = demographic_label) {
  std::vector<std::string> out;
  for (const auto& [key, value] : ex.demographic)
    if (demographic_present(value)) out.push_back(label(key) + ": " + *value);
  return out;
}

// ---------------------------------------------------------------------------------------
// Errors

/// "<plugin>: sample <id>: " for messages about one example.
/// The host services of `ctx`; a plugin created without them cannot fingerprint.
inline const HostServices& require_host(const PluginContext& ctx, std::string_view plugin) {
  if (!ctx.host) throw Error(std::string(plugin) + ": created without host services (PluginContext::host is null)");
  return *ctx.host;
}

inline std::string sample_prefix(std::string_view plugin, const Example& ex) {
  return std::string(plugin) + ": sample_id " + std::to_string(ex.sample_id) + " (study " +
         (ex.study_id.empty() ? std::string("?") : ex.study_id) + "): ";
}

/// The response as text ("5"); throws naming the sample if the Example has none.
inline std::string response_text(std::string_view plugin, const Example& ex) {
  if (!ex.response)
    throw Error(sample_prefix(plugin, ex) +
                "has no response; a prompt format can only build training sequences from labelled examples");
  return std::to_string(*ex.response);
}

/// The id of `token` in `tok`. The token must exist and be matched as one token in text
/// (an added/special token), since templates write it inside the prompt text. `missing`
/// starts the error message ("alpaca: 'prompt.eos_token' = \"<|x|>\""); `hint` ends it.
inline std::int32_t require_token(const Tokenizer& tok, const std::string& token, const std::string& missing,
                                  const std::string& hint) {
  auto id = tok.token_id(token);
  if (!id) throw Error(missing + " is not a token of this tokenizer; " + hint);
  if (tok.encode(token) != std::vector<std::int32_t>{*id})
    throw Error(missing + " is in the vocabulary but is not an added token, so text containing it does not encode "
                          "to that one token; " + hint);
  return *id;
}

/// The label of each of the 16 columns, as text (part of the fingerprints).
inline std::string demographic_label_table(LabelFn label = demographic_label) {
  std::string out;
  for (const char* k : {"age", "gender", "education", "employment", "ethnicity", "income", "party_id", "ideology",
                        "location", "marital_status", "household_size", "housing_ownership", "housing_type",
                        "metro_status", "internet_access", "phone_service"})
    out += std::string(k) + "=" + label(k) + "\n";
  return out;
}

// ---------------------------------------------------------------------------------------
// The masked sequence

/// A rendered prompt, split so that truncation can keep what matters:
///   prompt = head + keep + body + tail
/// head: template and system header (never cut unless nothing else is left);
/// keep: user content before the stimulus (demographics, instruction sentence);
/// body: the stimulus, whose END (question and answer format) matters most;
/// tail: the end of the user turn and the assistant header (never cut unless nothing else is left).
struct PromptParts {
  std::string head, keep, body, tail;
  std::string text() const { return head + keep + body + tail; }
};

namespace detail {
/// Moves `start` past tokens that begin inside a UTF-8 character, so a cut never starts
/// with a broken character. The Tokenizer interface has no raw bytes, so this decodes the
/// next 4 tokens (a character has at most 4 bytes, a token at least 1): their text starts
/// with U+FFFD exactly when the first token starts with a continuation byte. A valid
/// character has at most 3 continuation bytes, so at most 3 tokens are skipped.
inline std::size_t skip_partial_utf8(const Tokenizer& tok, const std::vector<std::int32_t>& ids, std::size_t start) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  for (int n = 0; n < 3 && start < ids.size(); ++n, ++start) {
    const auto first = ids.begin() + static_cast<std::ptrdiff_t>(start);
    const auto last = ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), start + 4));
    const std::string text = tok.decode(std::vector<std::int32_t>(first, last));
    if (text.substr(0, kReplacement.size()) != kReplacement) break;
  }
  return start;
}

/// The last `n` tokens of `ids` (fewer if the cut point is inside a character).
inline std::vector<std::int32_t> last_tokens(const Tokenizer& tok, const std::vector<std::int32_t>& ids,
                                             std::size_t n) {
  if (n >= ids.size()) return ids;
  if (n == 0) return {};
  const std::size_t start = skip_partial_utf8(tok, ids, ids.size() - n);
  return {ids.begin() + static_cast<std::ptrdiff_t>(start), ids.end()};
}

inline void append(std::vector<std::int32_t>& out, const std::vector<std::int32_t>& v) {
  out.insert(out.end(), v.begin(), v.end());
}
}  // namespace detail

/// Builds the training sequence: the prompt's tokens (label kIgnoreIndex), then the
/// response's tokens and `end_id` (label = token id).
///
/// The prompt and the response are encoded SEPARATELY and concatenated. Encoding the
/// joined text would let the tokenizer merge across the boundary (a pre-token or BPE merge
/// spanning the end of the prompt and the start of the answer), and then no token boundary
/// would sit exactly where the answer starts: the mask would either leak a prompt byte into
/// the loss or drop part of the answer. Encoding the prompt alone also gives the same ids
/// the model sees at generation time, when only the prompt is encoded.
///
/// If the sequence is longer than `max_len`, the prompt is cut (truncated = true):
///  1. the body (stimulus) loses tokens from its start; head, keep and tail stay whole;
///  2. if head + keep + tail alone do not fit, keep + body are cut from the left together,
///     head and tail stay whole;
///  3. if head + tail alone do not fit, the whole prompt is cut from the left.
/// Throws naming the sample if the response and end token plus one prompt token do not fit.
inline TokenizedExample build_sequence(const Tokenizer& tok, std::string_view plugin, const Example& ex,
                                       const PromptParts& parts, const std::string& response, std::int32_t end_id,
                                       std::int64_t max_len) {
  using detail::append;
  std::vector<std::int32_t> answer = tok.encode(response);
  answer.push_back(end_id);
  const auto answer_len = static_cast<std::int64_t>(answer.size());
  // At least one prompt token: with shifted labels, the first token of a sequence carries
  // no loss, so an answer with nothing before it would lose its first token's loss.
  if (answer_len + 1 > max_len)
    throw Error(sample_prefix(plugin, ex) + "the response and end token alone need " + std::to_string(answer_len) +
                " tokens, plus at least 1 prompt token, but max_len is " + std::to_string(max_len) +
                "; raise the maximum sequence length");
  const auto budget = static_cast<std::size_t>(max_len - answer_len);

  TokenizedExample out;
  std::vector<std::int32_t> prompt = tok.encode(parts.text());
  if (prompt.size() > budget) {
    out.truncated = true;
    const std::vector<std::int32_t> head = tok.encode(parts.head), tail = tok.encode(parts.tail);
    const std::vector<std::int32_t> keep = tok.encode(parts.keep);
    std::vector<std::int32_t> cut;
    if (head.size() + keep.size() + tail.size() <= budget) {
      const std::vector<std::int32_t> body = tok.encode(parts.body);
      append(cut, head);
      append(cut, keep);
      append(cut, detail::last_tokens(tok, body, budget - head.size() - keep.size() - tail.size()));
      append(cut, tail);
    } else if (head.size() + tail.size() <= budget) {
      const std::vector<std::int32_t> user = tok.encode(parts.keep + parts.body);
      append(cut, head);
      append(cut, detail::last_tokens(tok, user, budget - head.size() - tail.size()));
      append(cut, tail);
    } else {
      cut = detail::last_tokens(tok, prompt, budget);
    }
    prompt = std::move(cut);
  }
  out.input_ids = std::move(prompt);
  out.labels.assign(out.input_ids.size(), kIgnoreIndex);
  append(out.input_ids, answer);
  append(out.labels, answer);
  return out;
}

/// Collects (name, value) pairs unambiguously (length-prefixed) and hashes them.
class Fingerprint {
 public:
  Fingerprint& add(std::string_view name, std::string_view value) {
    buf_ += std::to_string(name.size()) + ":" + std::string(name) + "=" + std::to_string(value.size()) + ":" +
            std::string(value) + ";";
    return *this;
  }
  /// "<plugin>/<version>:sha256:<hex>", hashed by the host.
  std::string str(const socrates::HostServices& host, std::string_view plugin, std::string_view version) const {
    return std::string(plugin) + "/" + std::string(version) + ":sha256:" + host.sha256(buf_);
  }

 private:
  std::string buf_;
};

}  // namespace socrates::prompt_support
