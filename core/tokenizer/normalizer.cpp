#include "tokenizer/normalizer.hpp"

#include <cstdlib>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <utf8proc.h>

#include "socrates/error.hpp"

#include "tokenizer/utf8.hpp"

namespace socrates::tok {

namespace {

void add_forms(const nlohmann::json& j, std::vector<NormalForm>& forms) {
  if (j.is_null()) return;
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
    throw std::invalid_argument("normalizer: expected an object with a \"type\"");
  const std::string type = j["type"].get<std::string>();
  if (type == "NFC") forms.push_back(NormalForm::NFC);
  else if (type == "NFD") forms.push_back(NormalForm::NFD);
  else if (type == "NFKC") forms.push_back(NormalForm::NFKC);
  else if (type == "NFKD") forms.push_back(NormalForm::NFKD);
  else if (type == "Sequence") {
    if (!j.contains("normalizers") || !j["normalizers"].is_array())
      throw std::invalid_argument("normalizer Sequence: missing \"normalizers\" array");
    for (const auto& n : j["normalizers"]) add_forms(n, forms);
  } else {
    throw std::invalid_argument("normalizer type \"" + type +
                                "\" is not supported (supported: NFC, NFD, NFKC, NFKD, Sequence, null)");
  }
}

bool is_hangul_syllable(char32_t c) { return c >= 0xAC00 && c <= 0xD7A3; }
bool is_hangul_trailing_jamo(char32_t c) { return (c >= 0x1161 && c <= 0x1175) || (c >= 0x11A8 && c <= 0x11C2); }

// True when `c` can never be changed, reordered or composed with a neighbour by `form`
// (NFC/NFKC quick check: starter without a decomposition that is never a second
// composition partner; NFD/NFKD: starter without a decomposition).
bool inert(char32_t c, NormalForm form) {
  if (c < 0x80) return true;
  if (c < 0x300 && form == NormalForm::NFC) return true;  // Latin-1 to Spacing Modifiers: all NFC
  const utf8proc_property_t* p = utf8proc_get_property(static_cast<utf8proc_int32_t>(c));
  if (p->combining_class != 0) return false;
  const bool compat = form == NormalForm::NFKC || form == NormalForm::NFKD;
  if (p->decomp_seqindex != UINT16_MAX && (compat || p->decomp_type == 0)) return false;
  if (form == NormalForm::NFC || form == NormalForm::NFKC) {
    if (p->comb_index != UINT16_MAX && p->comb_index >= 0x8000) return false;  // a second partner
    if (is_hangul_trailing_jamo(c)) return false;
  } else if (is_hangul_syllable(c)) {
    return false;
  }
  return true;
}

bool unchanged_by(std::string_view s, NormalForm form) {
  std::size_t i = 0;
  while (i < s.size()) {
    if (static_cast<unsigned char>(s[i]) < 0x80) {
      ++i;
      continue;
    }
    if (!inert(utf8::next(s, i), form)) return false;
  }
  return true;
}

void normalize_into(std::string_view s, NormalForm form, std::string& out) {
  int options = UTF8PROC_STABLE;
  switch (form) {
    case NormalForm::NFC: options |= UTF8PROC_COMPOSE; break;
    case NormalForm::NFD: options |= UTF8PROC_DECOMPOSE; break;
    case NormalForm::NFKC: options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case NormalForm::NFKD: options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
  }
  utf8proc_uint8_t* buf = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                                          static_cast<utf8proc_ssize_t>(s.size()), &buf,
                                          static_cast<utf8proc_option_t>(options));
  if (n < 0) {
    std::free(buf);
    throw Error(std::string("tokenizer: Unicode normalization failed (utf8proc: ") + utf8proc_errmsg(n) + ")");
  }
  out.assign(reinterpret_cast<const char*>(buf), static_cast<std::size_t>(n));
  std::free(buf);
}

}  // namespace

Normalizer Normalizer::from_json(const nlohmann::json& j) {
  Normalizer n;
  add_forms(j, n.forms_);
  return n;
}

std::string_view Normalizer::apply(std::string_view text, std::string& scratch) const {
  std::string_view cur = text;
  std::string tmp;
  for (const NormalForm form : forms_) {
    if (unchanged_by(cur, form)) continue;
    normalize_into(cur, form, tmp);
    scratch.swap(tmp);
    cur = scratch;
  }
  return cur;
}

}  // namespace socrates::tok
