// Text -> ids: special-token partitioning, then SentencePiece (merge by score) or byte-level BPE
// (pre-tokenizer, then merge by rank) on each raw fragment.
#include <algorithm>
#include <cstdio>
#include <queue>

#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace capibara::tokenizer {

namespace {

bool c_isspace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// A doubly linked run of symbols over one word; merged-away symbols keep n = 0.
struct Sym {
  int32_t prev, next;
  uint32_t off, n;
  int32_t id;  // BPE: interned symbol id (-1: cannot merge); SPM: unused
};

}  // namespace

// llama.cpp's tokenizer_st_partition: for each special token, longest first, split every raw
// fragment at each of its occurrences (left to right). Control/unknown tokens only when asked.
// Ranks (in specials_ order) of the special tokens occurring anywhere in `text`: only those can
// split a fragment, so partition() skips the rest (Gemma has thousands of user-defined tokens).
std::vector<size_t> Tokenizer::specials_in(std::string_view text) const {
  std::vector<size_t> ranks;
  for (size_t i = 0; i < text.size(); ++i) {
    int32_t node = trie_root_[static_cast<uint8_t>(text[i])];
    for (size_t j = i + 1; node >= 0; ++j) {
      ranks.insert(ranks.end(), trie_ends_[node].begin(), trie_ends_[node].end());
      if (j == text.size()) break;
      const auto it = trie_edges_.find((static_cast<uint64_t>(node) << 8) | static_cast<uint8_t>(text[j]));
      node = it == trie_edges_.end() ? -1 : it->second;
    }
  }
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  return ranks;
}

std::vector<Tokenizer::Fragment> Tokenizer::partition(std::string_view text, bool parse_special) const {
  std::vector<Fragment> frags{{-1, 0, text.size()}}, next;
  for (const size_t rank : specials_in(text)) {
    const int32_t id = specials_[rank];
    const uint32_t tok_attr = attr(id);
    if (!parse_special && (tok_attr & (kAttrControl | kAttrUnknown))) continue;
    const std::string_view needle = this->text(id);  // `text` here is the input
    bool hit = false;
    next.clear();
    for (const Fragment& f : frags) {
      if (f.token >= 0 || f.len < needle.size()) {
        next.push_back(f);
        continue;
      }
      size_t off = f.off, len = f.len;
      while (len > 0) {
        const size_t m = text.substr(0, off + len).find(needle, off);
        if (m == std::string_view::npos) break;
        hit = true;
        size_t left_len = m - off;
        if (tok_attr & kAttrLstrip)
          while (left_len > 0 && c_isspace(text[off + left_len - 1])) --left_len;
        if (left_len > 0) next.push_back({-1, off, left_len});
        next.push_back({id, 0, 0});
        size_t r_off = m + needle.size(), r_len = off + len - r_off;
        if (tok_attr & kAttrRstrip)
          while (r_len > 0 && c_isspace(text[r_off])) ++r_off, --r_len;
        off = r_off;
        len = r_len;
      }
      if (len > 0) next.push_back({-1, off, len});
    }
    if (hit) frags.swap(next);
  }
  return frags;
}

Result<int32_t> Tokenizer::byte_token(uint8_t byte) const {
  char hex[8];
  std::snprintf(hex, sizeof hex, "<0x%02X>", byte);
  int32_t id = find(hex);
  if (id < 0) id = find(std::string_view(reinterpret_cast<const char*>(&byte), 1));
  if (id < 0) return Status(ErrorCode::TOKENIZER_ERROR, std::string("no token for byte ") + hex + " (vocabulary lacks byte fallback)");
  return id;
}

// SentencePiece as llama.cpp runs it: start from UTF-8 characters, repeatedly merge the adjacent
// pair whose concatenation is the highest-scoring token (ties: leftmost); pieces left that are not
// tokens fall back to byte tokens.
Status Tokenizer::tokenize_spm(std::string_view text, std::vector<int32_t>& out) const {
  struct Bigram {
    int32_t left, right;
    float score;
    uint32_t size;
  };
  const auto worse = [](const Bigram& a, const Bigram& b) {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  };
  std::priority_queue<Bigram, std::vector<Bigram>, decltype(worse)> queue(worse);
  std::vector<Sym> syms;
  for (size_t off = 0; off < text.size();) {
    const uint32_t n = static_cast<uint32_t>(std::min(utf8_len(static_cast<uint8_t>(text[off])), text.size() - off));
    const int32_t idx = static_cast<int32_t>(syms.size());
    off += n;
    syms.push_back({idx - 1, off == text.size() ? -1 : idx + 1, static_cast<uint32_t>(off - n), n, -1});
  }
  const auto try_add = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    const int32_t id = find(text.substr(syms[l].off, syms[l].n + syms[r].n));
    if (id >= 0) queue.push({l, r, tokens_[id].score, syms[l].n + syms[r].n});
  };
  for (int32_t i = 1; i < static_cast<int32_t>(syms.size()); ++i) try_add(i - 1, i);
  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Sym& l = syms[b.left];
    Sym& r = syms[b.right];
    if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;  // stale
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }
  // Every merged symbol is a token; only single characters can miss the vocabulary.
  for (int32_t i = syms.empty() ? -1 : 0; i != -1; i = syms[i].next) {
    const std::string_view piece = text.substr(syms[i].off, syms[i].n);
    const int32_t id = find(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    for (const char c : piece) {
      Result<int32_t> b = byte_token(static_cast<uint8_t>(c));
      if (!b) return b.status();
      out.push_back(b.value());
    }
  }
  return Status::ok();
}

struct Tokenizer::BpeScratch {
  struct Bigram {
    int32_t left, right, rank, lid, rid, result;
  };
  std::vector<Sym> syms;
  std::vector<Bigram> heap;
};

// Byte-level BPE of one pre-tokenized word: `raw` holds its UTF-8 bytes, `word` the same bytes in
// the GPT-2 alphabet (one character per byte). A heap of adjacent pairs by merge rank (ties:
// leftmost), as llama.cpp's llm_tokenizer_bpe_session.
void Tokenizer::bpe_word(const std::string& word, const std::string& raw, BpeScratch& sc, std::vector<int32_t>& out) const {
  using Bigram = BpeScratch::Bigram;
  const auto worse = [](const Bigram& a, const Bigram& b) { return a.rank > b.rank || (a.rank == b.rank && a.left > b.left); };
  std::vector<Sym>& syms = sc.syms;
  std::vector<Bigram>& heap = sc.heap;
  syms.clear();
  heap.clear();
  if (pre_.ignore_merges && find(word) >= 0) {
    syms.push_back({-1, -1, 0, static_cast<uint32_t>(word.size()), -1});
  } else {
    uint32_t off = 0;
    for (size_t i = 0; i < raw.size(); ++i) {
      const uint8_t b = static_cast<uint8_t>(raw[i]);
      const uint32_t n = static_cast<uint32_t>(byte_to_bpe_char(b).size());
      const int32_t idx = static_cast<int32_t>(i);
      syms.push_back({idx - 1, i + 1 == raw.size() ? -1 : idx + 1, off, n, byte_symbol_[b]});
      off += n;
    }
  }
  const auto try_add = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0 || syms[l].id < 0 || syms[r].id < 0) return;
    const Merge* m = merges_.find(static_cast<uint32_t>(syms[l].id), static_cast<uint32_t>(syms[r].id));
    if (!m) return;
    heap.push_back({l, r, m->rank, syms[l].id, syms[r].id, m->result});
    std::push_heap(heap.begin(), heap.end(), worse);
  };
  for (int32_t i = 1; i < static_cast<int32_t>(syms.size()); ++i) try_add(i - 1, i);
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), worse);
    const Bigram b = heap.back();
    heap.pop_back();
    Sym& l = syms[b.left];
    Sym& r = syms[b.right];
    // A pair is stale once either side changed; ids identify the texts llama.cpp compares.
    if (l.n == 0 || r.n == 0 || l.id != b.lid || r.id != b.rid) continue;
    l.n += r.n;
    l.id = b.result;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = b.left;
    try_add(l.prev, b.left);
    try_add(b.left, l.next);
  }
  for (const Sym& s : syms) {
    if (s.n == 0) continue;
    // A symbol id below size() is the token with that text; above, the text is no token.
    const int32_t id = s.id >= 0 ? (static_cast<size_t>(s.id) < tokens_.size() ? s.id : -1) : find(std::string_view(word).substr(s.off, s.n));
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    // Not a token: llama.cpp looks each byte of the text up as a one-byte token and drops misses.
    for (uint32_t k = 0; k < s.n; ++k) {
      const int32_t b = find(std::string_view(word).substr(s.off + k, 1));
      if (b >= 0) out.push_back(b);
    }
  }
}

void Tokenizer::tokenize_bpe(std::string_view text, std::vector<int32_t>& out) const {
  const std::vector<uint32_t> cps = utf8_to_cps(std::string(text));
  const std::vector<size_t> lens = pretokenize(pre_.kind, cps);
  BpeScratch scratch;
  // Words repeat in long texts; a per-call cache (raw bytes -> [begin, end) in out) merges each once.
  std::unordered_map<std::string, std::pair<size_t, size_t>> seen;
  std::string word, raw;
  size_t start = 0;
  for (const size_t len : lens) {
    raw.clear();
    for (size_t i = start; i < start + len; ++i) append_utf8(raw, cps[i]);
    start += len;
    const auto hit = seen.find(raw);
    if (hit != seen.end()) {
      for (size_t k = hit->second.first; k < hit->second.second; ++k) out.push_back(out[k]);
      continue;
    }
    word.clear();
    for (const char c : raw) word += byte_to_bpe_char(static_cast<uint8_t>(c));
    const size_t begin = out.size();
    bpe_word(word, raw, scratch, out);
    seen.emplace(raw, std::make_pair(begin, out.size()));
  }
}

Result<std::vector<int32_t>> Tokenizer::tokenize(std::string_view text, bool add_special, bool parse_special) const {
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  const std::vector<Fragment> frags = text.empty() ? std::vector<Fragment>{} : partition(text, parse_special);
  if (add_special && add_bos_) out.push_back(bos_);
  bool prev_special = true;  // SPM: the first raw fragment gets the space prefix
  std::string buf;
  for (const Fragment& f : frags) {
    if (f.token >= 0) {
      out.push_back(f.token);
      prev_special = true;
      continue;
    }
    const std::string_view raw = text.substr(f.off, f.len);
    if (spm_) {
      // Spaces become U+2581 "▁"; a space is prefixed after BOS/special tokens when asked.
      buf.clear();
      if (add_space_prefix_ && prev_special) buf += "\xE2\x96\x81";
      for (const char c : raw) {
        if (c == ' ') buf += "\xE2\x96\x81";
        else buf += c;
      }
      Status st = tokenize_spm(buf, out);
      if (!st) return st;
    } else {
      tokenize_bpe(raw, out);
    }
    prev_special = false;
  }
  if (add_special && add_eos_) out.push_back(eos_);
  return out;
}

}  // namespace capibara::tokenizer
