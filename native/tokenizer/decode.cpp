// Ids -> text: token pieces (llama.cpp's token_to_piece), whole-sequence detokenize with its
// leading-space and clean-up rules, and the streaming decoder.
#include <cstdlib>

#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace capibara::tokenizer {

namespace {

constexpr uint32_t kAttrShownOnlyIfSpecial = kAttrUnknown | kAttrControl;

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(s.size());
  size_t pos = 0;
  for (size_t m; (m = s.find(from, pos)) != std::string::npos; pos = m + from.size()) {
    out.append(s, pos, m - pos);
    out.append(to);
  }
  out.append(s, pos, std::string::npos);
  s.swap(out);
}

}  // namespace

// Piece with special=true (the cached form); piece() hides control/unknown ones when not special.
std::string Tokenizer::make_piece(int32_t id) const {
  const uint32_t a = attr(id);
  const std::string_view t = text(id);
  if (a & (kAttrShownOnlyIfSpecial | kAttrUserDefined)) return std::string(t);
  if (a & kAttrNormal) {
    if (spm_) {
      std::string s(t);
      replace_all(s, "\xE2\x96\x81", " ");
      return s;
    }
    // Byte-level BPE: each code point stands for one byte. Unknown ones are rendered the way
    // llama.cpp's llama_decode_text does, so both give the same text.
    std::string s;
    for (const uint32_t cp : utf8_to_cps(std::string(t))) {
      const int b = bpe_char_to_byte(cp);
      if (b >= 0) {
        s.push_back(static_cast<char>(b));
        continue;
      }
      std::string utf8;
      append_utf8(utf8, cp);
      s += "[UNK_BYTE_0x";
      static const char* hex = "0123456789abcdef";
      for (const char c : utf8) {
        s.push_back(hex[static_cast<uint8_t>(c) >> 4]);
        s.push_back(hex[static_cast<uint8_t>(c) & 15]);
      }
      s.append(t);
      s += "]";
    }
    return s;
  }
  if (a & kAttrByte) {
    // "<0xXX>": the two hex digits at offset 3.
    const std::string hex = t.size() >= 5 ? std::string(t.substr(3, 2)) : std::string();
    return std::string(1, static_cast<char>(std::strtol(hex.c_str(), nullptr, 16)));
  }
  return {};
}

std::string_view Tokenizer::piece(int32_t id, bool special) const {
  if (!special && (tokens_[id].attr & kAttrShownOnlyIfSpecial)) return {};
  return pieces_[static_cast<size_t>(id)];
}

// llama.cpp's three clean-up passes for vocabularies with clean_spaces: " ?" " !" " ." " ," lose
// the space; " ' " becomes "'"; " 's" " 'm" " 're" " 've" lose the space.
void Tokenizer::clean_spaces(std::string& text) const {
  size_t total = text.size();
  {
    const size_t n = total;
    total = n ? 1 : 0;
    for (size_t i = 1; i < n; ++i) {
      const char x = text[i];
      if (text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) --total;
      text[total++] = x;
    }
  }
  {
    const size_t n = total;
    total = n ? 1 : 0;
    for (size_t i = 1; i < n; ++i) {
      const char x = text[i];
      if (x == '\'' && i + 1 < n && text[i - 1] == ' ' && text[i + 1] == ' ') {
        --total;
        text[++i] = '\0';
      }
      text[total++] = x;
    }
  }
  {
    const size_t n = total;
    total = n ? 1 : 0;
    for (size_t i = 1; i < n; ++i) {
      const char x = text[i];
      if (text[i - 1] == ' ' && x == '\'' && i + 1 < n) {
        const char x1 = text[i + 1];
        if (x1 == 's' || x1 == 'm') {
          --total;
        } else if (i + 2 < n && ((x1 == 'r' && text[i + 2] == 'e') || (x1 == 'v' && text[i + 2] == 'e'))) {
          --total;
        }
      }
      text[total++] = x;
    }
  }
  text.resize(total);
}

Result<std::string> Tokenizer::detokenize(const int32_t* ids, size_t n, bool remove_special, bool unparse_special) const {
  for (size_t i = 0; i < n; ++i)
    if (!valid(ids[i]))
      return Status(ErrorCode::INVALID_ARGUMENT, "token id " + std::to_string(ids[i]) + " is out of range [0, " +
                                                     std::to_string(tokens_.size()) + ")");
  bool remove_space = add_space_prefix_;
  if (remove_special && add_bos_ && n > 0 && ids[0] == bos_) {
    remove_space = false;
    ++ids;
    --n;
  }
  if (remove_special && add_eos_ && n > 0 && ids[n - 1] == eos_) --n;
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    std::string_view p = piece(ids[i], unparse_special);
    if (remove_space && !p.empty() && p.front() == ' ') p.remove_prefix(1);
    remove_space = false;
    text.append(p);
  }
  if (clean_spaces_) clean_spaces(text);
  return text;
}

namespace {

// Removes and returns the prefix of `s` made of whole UTF-8 characters, invalid bytes replaced
// by U+FFFD; an incomplete but still valid tail is left in `s`.
std::string take_complete(std::string& s, bool final) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    size_t need = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (need == 0) {  // continuation or invalid lead byte
      out += "\xEF\xBF\xBD";
      ++i;
      continue;
    }
    size_t k = 1;
    while (k < need && i + k < s.size() && (static_cast<uint8_t>(s[i + k]) & 0xC0) == 0x80) ++k;
    if (k == need) {
      out.append(s, i, need);
      i += need;
    } else if (i + k == s.size() && !final) {
      break;  // may still complete with the next token
    } else {
      out += "\xEF\xBF\xBD";
      i += k;
    }
  }
  s.erase(0, i);
  return out;
}

}  // namespace

Result<std::string> StreamDecoder::push(int32_t id) {
  if (!tok_.valid(id))
    return Status(ErrorCode::INVALID_ARGUMENT, "token id " + std::to_string(id) + " is out of range");
  pending_.append(tok_.piece(id, special_));
  return take_complete(pending_, false);
}

std::string StreamDecoder::flush() {
  std::string out = take_complete(pending_, true);
  pending_.clear();
  return out;
}

}  // namespace capibara::tokenizer
