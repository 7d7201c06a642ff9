#include "tokenizer/bpe_model.hpp"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "tokenizer/bpe_scratch.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/utf8.hpp"

namespace socrates::tok {

namespace {

std::string optional_string(const nlohmann::json& m, const char* key) {
  if (!m.contains(key) || m[key].is_null()) return {};
  if (!m[key].is_string()) throw std::invalid_argument(std::string("model: \"") + key + "\" must be a string or null");
  return m[key].get<std::string>();
}

bool optional_bool(const nlohmann::json& m, const char* key) {
  if (!m.contains(key) || m[key].is_null()) return false;
  if (!m[key].is_boolean()) throw std::invalid_argument(std::string("model: \"") + key + "\" must be a boolean");
  return m[key].get<bool>();
}

}  // namespace

BpeModel BpeModel::from_json(const nlohmann::json& m, bool byte_level) {
  if (!m.is_object()) throw std::invalid_argument("\"model\" is missing or not an object");
  if (m.contains("type") && !(m["type"].is_string() && m["type"].get<std::string>() == "BPE")) {
    const std::string t = m["type"].is_string() ? m["type"].get<std::string>() : m["type"].dump();
    throw std::invalid_argument("model type \"" + t + "\" is not supported (only BPE)");
  }
  if (!m.contains("vocab") || !m["vocab"].is_object())
    throw std::invalid_argument("\"model.vocab\" is missing or not an object of token -> id");
  if (!m.contains("merges") || !m["merges"].is_array())
    throw std::invalid_argument("\"model.merges\" is missing or not an array");
  if (m.contains("dropout") && !m["dropout"].is_null() && m["dropout"].is_number() && m["dropout"].get<double>() > 0.0)
    throw std::invalid_argument("model: BPE dropout is not supported (set \"dropout\" to null for inference)");

  BpeModel b;
  b.byte_level_ = byte_level;
  b.prefix_ = optional_string(m, "continuing_subword_prefix");
  b.suffix_ = optional_string(m, "end_of_word_suffix");
  b.fuse_unk_ = optional_bool(m, "fuse_unk");
  b.byte_fallback_ = optional_bool(m, "byte_fallback");
  b.ignore_merges_ = optional_bool(m, "ignore_merges");

  const auto& vocab = m["vocab"];
  b.vocab_.reserve(vocab.size());
  std::int64_t max_id = -1;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<std::int64_t>() < 0 ||
        it.value().get<std::int64_t>() > INT32_MAX)
      throw std::invalid_argument("model.vocab: token \"" + it.key() + "\" has no valid id (want a non-negative integer)");
    const auto id = it.value().get<std::int64_t>();
    b.vocab_.emplace(it.key(), static_cast<std::int32_t>(id));
    max_id = std::max(max_id, id);
  }
  if (b.vocab_.empty()) throw std::invalid_argument("\"model.vocab\" is empty");
  b.tokens_.assign(static_cast<std::size_t>(max_id + 1), std::string());
  b.present_.assign(static_cast<std::size_t>(max_id + 1), 0);
  for (const auto& [tok, id] : b.vocab_) {
    b.tokens_[static_cast<std::size_t>(id)] = tok;
    b.present_[static_cast<std::size_t>(id)] = 1;
  }

  const std::string unk = optional_string(m, "unk_token");
  if (!unk.empty()) b.unk_id_ = b.token_to_id(unk);

  const auto& merges = m["merges"];
  b.merges_.reserve(merges.size());
  std::string merged;
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& mg = merges[rank];
    std::string left, right;
    if (mg.is_string()) {
      const std::string& s = mg.get_ref<const std::string&>();
      const auto sp = s.find(' ');
      if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
        throw std::invalid_argument("model.merges[" + std::to_string(rank) + "] \"" + s + "\" is not \"a b\"");
      left = s.substr(0, sp);
      right = s.substr(sp + 1);
    } else if (mg.is_array() && mg.size() == 2 && mg[0].is_string() && mg[1].is_string()) {
      left = mg[0].get<std::string>();
      right = mg[1].get<std::string>();
    } else {
      throw std::invalid_argument("model.merges[" + std::to_string(rank) + "] is neither \"a b\" nor [\"a\", \"b\"]");
    }
    const auto l = b.token_to_id(left), r = b.token_to_id(right);
    merged = left;
    merged.append(right.size() >= b.prefix_.size() ? std::string_view(right).substr(b.prefix_.size()) : std::string_view());
    const auto n = b.token_to_id(merged);
    if (!l || !r || !n)
      throw std::invalid_argument("model.merges[" + std::to_string(rank) + "] uses a token missing from the vocab: \"" +
                                  (!l ? left : !r ? right : merged) + "\"");
    b.merges_.insert(*l, *r, PairMap::Value{static_cast<std::int32_t>(rank), *n});
  }

  // Fast path: each byte maps straight to the id of its byte-level character.
  b.fast_bytes_ = byte_level && b.prefix_.empty() && b.suffix_.empty();
  if (b.fast_bytes_) {
    const auto& alpha = ByteLevelAlphabet::get();
    for (int c = 0; c < 256; ++c) {
      const auto id = b.token_to_id(alpha.encode_byte(static_cast<std::uint8_t>(c)));
      b.byte_id_[static_cast<std::size_t>(c)] = id ? *id : -1;
      if (!id) b.fast_bytes_ = false;
    }
  }
  return b;
}

void BpeModel::initial_symbols_generic(std::string_view w, std::vector<std::int32_t>& syms) const {
  // HF BPE::merge_word: one symbol per character, with prefix/suffix, byte fallback and unk.
  std::string s;
  std::int32_t unk_pending = -1;
  std::size_t i = 0;
  while (i < w.size()) {
    const std::size_t start = i;
    utf8::next(w, i);
    s.clear();
    if (start != 0) s += prefix_;
    s.append(w.substr(start, i - start));
    if (i == w.size()) s += suffix_;
    if (const auto id = token_to_id(s)) {
      if (unk_pending >= 0) syms.push_back(unk_pending);
      unk_pending = -1;
      syms.push_back(*id);
      continue;
    }
    if (byte_fallback_) {
      std::vector<std::int32_t> bytes;
      char code[8];
      bool ok = true;
      for (const char ch : s) {
        std::snprintf(code, sizeof code, "<0x%02X>", static_cast<unsigned char>(ch));
        const auto id = token_to_id(code);
        if (!id) {
          ok = false;
          break;
        }
        bytes.push_back(*id);
      }
      if (ok) {
        syms.insert(syms.end(), bytes.begin(), bytes.end());
        continue;
      }
    }
    if (unk_id_) {
      if (unk_pending >= 0 && !fuse_unk_) syms.push_back(unk_pending);
      unk_pending = *unk_id_;
    }
  }
  if (unk_pending >= 0) syms.push_back(unk_pending);
}

void BpeModel::initial_symbols(std::string_view word, std::vector<std::int32_t>& syms) const {
  syms.clear();
  if (fast_bytes_) {
    syms.resize(word.size());
    for (std::size_t i = 0; i < word.size(); ++i) syms[i] = byte_id_[static_cast<unsigned char>(word[i])];
    return;
  }
  if (byte_level_) {
    std::string& mapped = bpe_scratch().text;
    mapped.clear();
    ByteLevelAlphabet::get().encode(word, mapped);
    initial_symbols_generic(mapped, syms);
  } else {
    initial_symbols_generic(word, syms);
  }
}

void BpeModel::encode_word(std::string_view word, std::vector<std::int32_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    std::optional<std::int32_t> whole;
    if (byte_level_) {
      std::string& mapped = bpe_scratch().text;
      mapped.clear();
      ByteLevelAlphabet::get().encode(word, mapped);
      whole = token_to_id(mapped);
    } else {
      whole = token_to_id(word);
    }
    if (whole) {
      out.push_back(*whole);
      return;
    }
  }
  auto& syms = bpe_scratch().syms;
  initial_symbols(word, syms);
  merge(syms);
  out.insert(out.end(), syms.begin(), syms.end());
}

}  // namespace socrates::tok
