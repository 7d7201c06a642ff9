#include "tokenizer/byte_level.hpp"

#include "tokenizer/utf8.hpp"

namespace socrates::tok {

const ByteLevelAlphabet& ByteLevelAlphabet::get() {
  static const ByteLevelAlphabet table;
  return table;
}

ByteLevelAlphabet::ByteLevelAlphabet() {
  byte_of_.fill(-1);
  // GPT-2's bytes_to_unicode(): printable Latin-1 bytes stand for themselves, the rest
  // map in order to U+0100, U+0101, ...
  int extra = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    const char32_t cp = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + extra++);
    std::string s;
    utf8::append(cp, s);
    encoded_len_[b] = static_cast<std::uint8_t>(s.size());
    for (std::size_t k = 0; k < s.size(); ++k) encoded_[b][k] = s[k];
    byte_of_[cp] = static_cast<std::int16_t>(b);
  }
}

void ByteLevelAlphabet::encode(std::string_view bytes, std::string& out) const {
  for (const char c : bytes) out.append(encode_byte(static_cast<std::uint8_t>(c)));
}

bool ByteLevelAlphabet::decode(std::string_view text, std::string& out) const {
  const std::size_t mark = out.size();
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t len =
        utf8::valid_sequence_length(reinterpret_cast<const unsigned char*>(text.data()) + i, text.size() - i);
    if (len == 0 || len > 2) {
      out.resize(mark);
      return false;
    }
    const char32_t cp = utf8::next(text, i);
    if (cp >= byte_of_.size() || byte_of_[cp] < 0) {
      out.resize(mark);
      return false;
    }
    out.push_back(static_cast<char>(byte_of_[cp]));
  }
  return true;
}

}  // namespace socrates::tok
