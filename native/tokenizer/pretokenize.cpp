#include "tokenizer/pretokenize.h"

#include <cstring>

#include "tokenizer/unicode.h"

namespace capibara::tokenizer {

namespace {

// A segment [ini, end) of the text with llama.cpp's out-of-range conventions: code point
// kOut and flags 0 past either end, so scanners can peek without bounds checks.
struct Segment {
  static constexpr uint32_t kOut = 0xFFFFFFFF;
  const std::vector<uint32_t>& cps;
  size_t ini, end;
  std::vector<size_t>& out;
  size_t prev_end;

  Segment(const std::vector<uint32_t>& c, size_t i, size_t e, std::vector<size_t>& o)
      : cps(c), ini(i), end(e), out(o), prev_end(i) {}
  uint32_t cp(size_t p) const { return p >= ini && p < end ? cps[p] : kOut; }
  uint16_t fl(size_t p) const { return p >= ini && p < end ? cp_flags(cps[p]) : 0; }
  // Ends the current word at `e`; returns its length (0 words are dropped).
  size_t emit(size_t e) {
    const size_t len = e - prev_end;
    if (len > 0) out.push_back(len);
    prev_end = e;
    return len;
  }
};

bool is_ws(uint16_t f) { return f & kCpWhitespace; }
bool is_letter(uint16_t f) { return f & kCpLetter; }
bool is_number(uint16_t f) { return f & kCpNumber; }
bool is_rn(uint32_t c) { return c == '\r' || c == '\n'; }
uint32_t ascii_lower(uint32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

// Length of the contraction at p ('s 't 're 've 'm 'll 'd), 0 if none; `fold` makes it
// case-insensitive.
size_t contraction(const Segment& s, size_t p, bool fold) {
  if (s.cp(p) != '\'' || p + 1 >= s.end) return 0;
  const auto low = [&](size_t i) { return fold ? ascii_lower(s.cp(i)) : s.cp(i); };
  const uint32_t a = low(p + 1);
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (p + 2 >= s.end) return 0;
  const uint32_t b = low(p + 2);
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

// Shared whitespace tail of the Gpt2/Llama3 scanners: \s*[\r\n]+ (when rn), \s+(?!\S), \s+.
void whitespace_or_single(Segment& s, size_t& pos, bool rn) {
  size_t n = 0, last_rn = 0;
  while (is_ws(s.fl(pos + n))) {
    if (rn && is_rn(s.cp(pos + n))) last_rn = pos + n + 1;
    ++n;
  }
  if (last_rn > 0) {
    pos = last_rn;
  } else if (n > 1 && s.cp(pos + n) != Segment::kOut) {
    pos += n - 1;
  } else if (n > 0) {
    pos += n;
  } else {
    ++pos;  // no alternative matched: the code point is a word on its own
  }
  s.emit(pos);
}

void split_gpt2(Segment& s) {
  for (size_t pos = s.ini; pos < s.end;) {
    const uint32_t c = s.cp(pos);
    if (const size_t n = contraction(s, pos, false)) {
      pos += s.emit(pos + n);
      continue;
    }
    uint16_t f2 = c == ' ' ? s.fl(pos + 1) : s.fl(pos);
    if (is_letter(f2) || is_number(f2)) {
      const uint16_t want = is_letter(f2) ? kCpLetter : kCpNumber;
      pos += (c == ' ');
      while (f2 & want) f2 = s.fl(++pos);
      s.emit(pos);
      continue;
    }
    if (!(f2 & (kCpWhitespace | kCpLetter | kCpNumber)) && f2) {
      pos += (c == ' ');
      while (!(f2 & (kCpWhitespace | kCpLetter | kCpNumber)) && f2) f2 = s.fl(++pos);
      s.emit(pos);
      continue;
    }
    whitespace_or_single(s, pos, false);
  }
}

// Llama3 (max_digits 3) and Qwen2 (max_digits 1) share everything but the digit run length.
void split_llama3(Segment& s, size_t max_digits) {
  for (size_t pos = s.ini; pos < s.end;) {
    const uint32_t c = s.cp(pos);
    const uint16_t f = s.fl(pos);
    if (const size_t n = contraction(s, pos, true)) {
      pos += s.emit(pos + n);
      continue;
    }
    if (!(is_rn(c) || is_number(f)) && (is_letter(f) || is_letter(s.fl(pos + 1)))) {
      ++pos;
      while (is_letter(s.fl(pos))) ++pos;
      s.emit(pos);
      continue;
    }
    if (is_number(f)) {
      size_t ini = pos;
      while (is_number(s.fl(pos))) {
        if (++pos - ini >= max_digits) {
          s.emit(pos);
          ini = pos;
        }
      }
      s.emit(pos);
      continue;
    }
    uint16_t f2 = c == ' ' ? s.fl(pos + 1) : f;
    if (!(f2 & (kCpWhitespace | kCpLetter | kCpNumber)) && f) {
      pos += (c == ' ');
      while (!(f2 & (kCpWhitespace | kCpLetter | kCpNumber)) && f2) f2 = s.fl(++pos);
      while (is_rn(s.cp(pos))) ++pos;
      s.emit(pos);
      continue;
    }
    whitespace_or_single(s, pos, true);
  }
}

// gpt-4o's regex, evaluated by llama.cpp with std::regex over collapsed text, where every non-ASCII
// letter is one byte outside [a-z] and [A-Z]: such a letter counts as both upper and lower case.
// Alternatives are tried in order at each position, with ECMAScript backtracking, first match wins.
class Gpt4oScanner {
 public:
  explicit Gpt4oScanner(Segment& s) : s_(s) {}

  void run() {
    for (size_t pos = s_.ini; pos < s_.end;) {
      size_t e = letters(pos);
      if (!e) e = digits(pos);
      if (!e) e = punct(pos);
      if (!e) e = spaces(pos);
      if (!e) e = pos + 1;
      s_.emit(e);
      pos = e;
    }
  }

 private:
  Segment& s_;

  bool L(size_t p) const { return is_letter(s_.fl(p)); }
  bool U(size_t p) const { return L(p) && !(s_.cp(p) >= 'a' && s_.cp(p) <= 'z'); }  // (?=\p{L})[^a-z]
  bool W(size_t p) const { return L(p) && !(s_.cp(p) >= 'A' && s_.cp(p) <= 'Z'); }  // (?=\p{L})[^A-Z]
  bool S(size_t p) const { return is_ws(s_.fl(p)); }
  bool N(size_t p) const { return is_number(s_.fl(p)); }
  bool in(size_t p) const { return p < s_.end; }

  size_t with_contraction(size_t p) const { return p + contraction(s_, p, true); }

  // [^\r\n\p{L}\p{N}]?U*W+c? | [^\r\n\p{L}\p{N}]?U+W*c?
  size_t letters(size_t p) const {
    const bool prefix = in(p) && !is_rn(s_.cp(p)) && !L(p) && !N(p);
    if (!prefix && !L(p)) return 0;
    const size_t start = prefix ? p + 1 : p;
    size_t j = start;
    while (in(j) && U(j)) ++j;
    if (in(j) && W(j)) {
      size_t k = j;
      while (in(k) && W(k)) ++k;
      return with_contraction(k);
    }
    // Backtrack U*: the last code point of the run that is also "lower" starts W+ (length 1).
    for (size_t m = j; m > start; --m)
      if (W(m - 1)) return with_contraction(m);
    if (j == start) return 0;  // second alternative needs U+
    size_t k = j;
    while (in(k) && W(k)) ++k;
    return with_contraction(k);
  }

  size_t digits(size_t p) const {
    size_t j = p;
    while (in(j) && N(j) && j - p < 3) ++j;
    return j > p ? j : 0;
  }

  //  ?[^\s\p{L}\p{N}]+[\r\n/]*
  size_t punct(size_t p) const {
    const auto Q = [&](size_t i) { return in(i) && !S(i) && !L(i) && !N(i); };
    size_t j = p;
    if (s_.cp(p) == ' ' && Q(p + 1)) {
      j = p + 1;
    } else if (!Q(p)) {
      return 0;
    }
    while (Q(j)) ++j;
    while (in(j) && (is_rn(s_.cp(j)) || s_.cp(j) == '/')) ++j;
    return j;
  }

  // \s*[\r\n]+ | \s+(?!\S) | \s+
  size_t spaces(size_t p) const {
    size_t j = p, last_rn = 0;
    while (in(j) && S(j)) {
      if (is_rn(s_.cp(j))) last_rn = j + 1;
      ++j;
    }
    if (j == p) return 0;
    if (last_rn) return last_rn;
    if (j == s_.end || j - p == 1) return j;
    return j - 1;
  }
};

// Splits every piece with `split`, which emits into a fresh list (one regex pass of llama.cpp).
template <typename F>
std::vector<size_t> each_piece(const std::vector<uint32_t>& cps, const std::vector<size_t>& pieces, F split) {
  std::vector<size_t> out;
  out.reserve(pieces.size() * 2);
  size_t start = 0;
  for (const size_t len : pieces) {
    Segment s(cps, start, start + len, out);
    split(s);
    start += len;
  }
  return out;
}

// A "[class]+" regex split: each maximal run inside the class is a piece, and so is each gap.
template <typename InClass>
void isolate_runs(Segment& s, InClass in_class) {
  for (size_t pos = s.ini; pos < s.end;) {
    const bool in = in_class(s.cps[pos]);
    size_t j = pos;
    while (j < s.end && in_class(s.cps[j]) == in) ++j;
    s.emit(j);
    pos = j;
  }
}

// "[0-9][0-9][0-9]": leftmost non-overlapping triples of ASCII digits are pieces.
void isolate_digit_triples(Segment& s) {
  const auto digit = [&](size_t p) { return s.cps[p] >= '0' && s.cps[p] <= '9'; };
  for (size_t pos = s.ini; pos + 3 <= s.end;) {
    if (digit(pos) && digit(pos + 1) && digit(pos + 2)) {
      s.emit(pos);
      s.emit(pos + 3);
      pos += 3;
    } else {
      ++pos;
    }
  }
  s.emit(s.end);
}

// [\p{P}\$\+<=>\^~\|] as llama.cpp evaluates it (non-ASCII text collapsed by category, whitespace
// checked first).
bool default_punct(uint32_t cp) {
  if (cp != 0 && cp < 128 && std::strchr("$+<=>^~|", static_cast<int>(cp))) return true;
  const uint16_t f = cp_flags(cp);
  return !(f & kCpWhitespace) && (f & kCpPunct);
}

}  // namespace

bool pre_info(const std::string& name, PreInfo* out) {
  struct Entry {
    const char* names[8];
    PreInfo info;
  };
  static const Entry kTable[] = {
      {{"gpt2", "mpt", "olmo", "jais", "exaone4", "modern-bert"}, {PreKind::Gpt2, true, false, false}},
      {{"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral"}, {PreKind::Llama3, true, true, true}},
      {{"qwen2", "deepseek-r1-qwen", "megrez"}, {PreKind::Qwen2, false, false, false}},
      {{"command-r"}, {PreKind::CommandR, false, false, false}},
      {{"starcoder", "refact", "smollm", "codeshell", "exaone", "minerva-7b"}, {PreKind::CommandR, true, false, false}},
      {{"gpt-4o", "llama4"}, {PreKind::Gpt4o, false, false, false}},
      // llama.cpp also falls back to "default" (with a quality warning) when the key is missing.
      {{"default", ""}, {PreKind::Default, true, false, false}},
  };
  for (const Entry& e : kTable)
    for (const char* n : e.names)
      if (n && name == n) {
        *out = e.info;
        // llama.cpp only turns clean_spaces off for these two of the CommandR family.
        if (name == "smollm") out->clean_spaces = false;
        return true;
      }
  return false;
}

std::vector<size_t> pretokenize(PreKind kind, const std::vector<uint32_t>& cps) {
  std::vector<size_t> out;
  out.reserve(cps.size() / 3 + 1);
  switch (kind) {
    case PreKind::Gpt2: {
      Segment s(cps, 0, cps.size(), out);
      split_gpt2(s);
      break;
    }
    case PreKind::Llama3:
    case PreKind::Qwen2: {
      Segment s(cps, 0, cps.size(), out);
      split_llama3(s, kind == PreKind::Llama3 ? 3 : 1);
      break;
    }
    case PreKind::CommandR: {
      // First pass: every \p{N} code point is a piece; the runs between are split by Gpt2.
      size_t start = 0;
      for (size_t i = 0; i <= cps.size(); ++i) {
        if (i < cps.size() && !is_number(cp_flags(cps[i]))) continue;
        if (i > start) {
          Segment s(cps, start, i, out);
          split_gpt2(s);
        }
        if (i < cps.size()) out.push_back(1);
        start = i + 1;
      }
      break;
    }
    case PreKind::Gpt4o: {
      Segment s(cps, 0, cps.size(), out);
      Gpt4oScanner(s).run();
      break;
    }
    case PreKind::Default: {
      out = each_piece(cps, {cps.size()}, [](Segment& s) { isolate_runs(s, default_punct); });
      out = each_piece(cps, out, [](Segment& s) { split_gpt2(s); });
      out = each_piece(cps, out, [](Segment& s) { isolate_runs(s, [](uint32_t cp) { return is_number(cp_flags(cp)); }); });
      out = each_piece(cps, out, isolate_digit_triples);
      break;
    }
  }
  return out;
}

}  // namespace capibara::tokenizer
