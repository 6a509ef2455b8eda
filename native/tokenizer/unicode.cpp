#include "tokenizer/unicode.h"

#include <algorithm>
#include <array>

namespace capibara::tokenizer {

namespace {

constexpr uint32_t kMaxCp = 0x110000;

// Flat per-code-point table (2.2 MB) expanded once from the generated ranges: the pre-tokenizers
// query every code point, so a lookup must be one load.
const std::vector<uint16_t>& flag_table() {
  static const std::vector<uint16_t> table = [] {
    std::vector<uint16_t> t(kMaxCp, kCpUndefined);
    for (size_t i = 0; i < kCpRangeCount; ++i) {
      const uint32_t end = i + 1 < kCpRangeCount ? kCpRanges[i + 1].start : kMaxCp;
      std::fill(t.begin() + kCpRanges[i].start, t.begin() + end, kCpRanges[i].flags);
    }
    return t;
  }();
  return table;
}

// One decoding step; returns false on an invalid sequence (offset untouched).
bool decode_one(const std::string& s, size_t& off, uint32_t& cp) {
  const auto b = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t c0 = b(off);
  if (!(c0 & 0x80)) {
    cp = c0;
    off += 1;
    return true;
  }
  if (!(c0 & 0x40)) return false;
  size_t n;
  if (!(c0 & 0x20)) {
    n = 2;
    cp = c0 & 0x1f;
  } else if (!(c0 & 0x10)) {
    n = 3;
    cp = c0 & 0x0f;
  } else if (!(c0 & 0x08)) {
    n = 4;
    cp = c0 & 0x07;
  } else {
    return false;
  }
  if (off + n > s.size()) return false;
  for (size_t i = 1; i < n; ++i) {
    if ((b(off + i) & 0xc0) != 0x80) return false;
    cp = (cp << 6) | (b(off + i) & 0x3f);
  }
  off += n;
  return true;
}

struct ByteAlphabet {
  std::array<std::string, 256> to_char;
  std::array<int16_t, 324> from_cp;  // stand-ins are all below U+0144
};

const ByteAlphabet& byte_alphabet() {
  static const ByteAlphabet a = [] {
    ByteAlphabet r;
    r.from_cp.fill(-1);
    // Printable Latin-1 bytes stand for themselves; the others map to U+0100.. in byte order.
    const auto printable = [](int c) { return (c >= 0x21 && c <= 0x7e) || (c >= 0xa1 && c <= 0xac) || (c >= 0xae); };
    int next = 256;
    for (int c = 0; c < 256; ++c) {
      const uint32_t cp = printable(c) ? static_cast<uint32_t>(c) : static_cast<uint32_t>(next++);
      append_utf8(r.to_char[c], cp);
      r.from_cp[cp] = static_cast<int16_t>(c);
    }
    return r;
  }();
  return a;
}

}  // namespace

uint16_t cp_flags(uint32_t cp) { return cp < kMaxCp ? flag_table()[cp] : static_cast<uint16_t>(kCpUndefined); }

std::vector<uint32_t> utf8_to_cps(const std::string& s) {
  std::vector<uint32_t> out;
  out.reserve(s.size());
  size_t off = 0;
  while (off < s.size()) {
    uint32_t cp;
    if (decode_one(s, off, cp)) {
      out.push_back(cp);
    } else {
      out.push_back(0xFFFD);
      ++off;
    }
  }
  return out;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp <= 0x7f) {
    out.push_back(static_cast<char>(cp));
  } else if (cp <= 0x7ff) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp <= 0xffff) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | ((cp >> 18) & 0x07)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

const std::string& byte_to_bpe_char(uint8_t b) { return byte_alphabet().to_char[b]; }

int bpe_char_to_byte(uint32_t cp) { return cp < 324 ? byte_alphabet().from_cp[cp] : -1; }

}  // namespace capibara::tokenizer
