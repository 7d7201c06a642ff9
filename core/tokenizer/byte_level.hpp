// The GPT-2 byte-level alphabet: every byte is shown as one printable code point, so a
// vocabulary of strings can hold arbitrary bytes ("Ġ" is the space byte 0x20).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace socrates::tok {

class ByteLevelAlphabet {
 public:
  /// The one shared table.
  static const ByteLevelAlphabet& get();

  /// UTF-8 of the code point that stands for byte `b`.
  std::string_view encode_byte(std::uint8_t b) const { return {encoded_[b].data(), encoded_len_[b]}; }

  /// Appends the byte-level form of `bytes` ("a b" -> "aĠb").
  void encode(std::string_view bytes, std::string& out) const;

  /// The bytes a byte-level string stands for. Returns false (and leaves `out` unchanged)
  /// when `text` holds a code point outside the alphabet, as HF's ByteLevel decoder then
  /// keeps that token's text unchanged.
  bool decode(std::string_view text, std::string& out) const;

 private:
  ByteLevelAlphabet();
  std::array<std::array<char, 2>, 256> encoded_{};
  std::array<std::uint8_t, 256> encoded_len_{};
  std::array<std::int16_t, 324> byte_of_{};  // code point (< 324) -> byte, or -1
};

}  // namespace socrates::tok
