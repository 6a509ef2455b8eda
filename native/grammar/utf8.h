// Well-formed UTF-8 as the grammar engine reads token bytes (RFC 3629): a lead byte announces its
// continuation bytes, and the first continuation byte's range excludes overlong forms, surrogates
// and code points above U+10FFFF. A byte-fallback vocabulary can spell any byte sequence, so the
// matcher must not read "\xF0\x80\x81\xBB" as '{'.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>

namespace capibara::grammar {

// Continuation bytes after lead byte b: 0 for ASCII, -1 for a byte that cannot start a character.
inline int utf8_tail(uint8_t b) {
  if (b < 0x80) return 0;
  if (b >= 0xC2 && b <= 0xDF) return 1;
  if (b >= 0xE0 && b <= 0xEF) return 2;
  if (b >= 0xF0 && b <= 0xF4) return 3;
  return -1;
}

// Allowed range of the byte right after lead byte b.
inline std::pair<uint8_t, uint8_t> utf8_second(uint8_t b) {
  switch (b) {
    case 0xE0: return {0xA0, 0xBF};
    case 0xED: return {0x80, 0x9F};
    case 0xF0: return {0x90, 0xBF};
    case 0xF4: return {0x80, 0x8F};
    default: return {0x80, 0xBF};
  }
}

// Whether bytes are well-formed UTF-8 whose last character may be unfinished.
inline bool utf8_prefix_valid(const char* s, size_t n) {
  for (size_t i = 0; i < n;) {
    const uint8_t b = static_cast<uint8_t>(s[i]);
    const int tail = utf8_tail(b);
    if (tail < 0) return false;
    const auto [lo, hi] = utf8_second(b);
    for (int k = 1; k <= tail && i + k < n; ++k) {
      const uint8_t c = static_cast<uint8_t>(s[i + k]);
      if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) return false;
    }
    i += static_cast<size_t>(tail) + 1;
  }
  return true;
}

}  // namespace capibara::grammar
