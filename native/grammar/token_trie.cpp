#include "grammar/token_trie.h"

#include <algorithm>
#include <functional>

#include "grammar/utf8.h"

namespace capibara::grammar {

namespace {

struct Tmp {
  std::vector<std::pair<uint8_t, uint32_t>> kids;
  std::vector<int32_t> toks;
};

}  // namespace

TokenTrie::TokenTrie(const std::vector<std::string>& pieces, const std::vector<bool>& fallback, bool keep_pieces)
    : n_vocab_(pieces.size()) {
  if (keep_pieces) pieces_ = pieces;
  std::vector<Tmp> tmp(1);
  for (size_t id = 0; id < pieces.size(); ++id) {
    const std::string& p = pieces[id];
    if (p.empty()) continue;
    uint32_t n = 0;
    for (unsigned char b : p) {
      auto& kids = tmp[n].kids;
      auto it = std::find_if(kids.begin(), kids.end(), [b](const auto& k) { return k.first == b; });
      if (it != kids.end()) {
        n = it->second;
      } else {
        const uint32_t c = static_cast<uint32_t>(tmp.size());
        kids.emplace_back(b, c);
        tmp.emplace_back();  // invalidates `kids`; not used after this
        n = c;
      }
    }
    tmp[n].toks.push_back(static_cast<int32_t>(id));
  }

  nodes_.reserve(tmp.size());
  edges_.reserve(tmp.size());
  order_.reserve(pieces.size());
  // Preorder renumbering. `tail`: continuation bytes still owed on the path (-1: invalid path);
  // [lo, hi]: range of the next continuation byte.
  // ok[n]: every token below n (n's own included) is UTF-8, its last character possibly unfinished.
  std::vector<bool> ok;
  ok.reserve(tmp.size());
  std::function<uint32_t(uint32_t, int, uint8_t, uint8_t)> visit = [&](uint32_t t, int tail, uint8_t lo, uint8_t hi) -> uint32_t {
    const uint32_t me = static_cast<uint32_t>(nodes_.size());
    nodes_.push_back(Node{});
    ok.push_back(false);
    Tmp& src = tmp[t];
    std::stable_sort(src.toks.begin(), src.toks.end(), [&](int32_t a, int32_t b) {
      return !(fallback.size() > static_cast<size_t>(a) && fallback[a]) && fallback.size() > static_cast<size_t>(b) && fallback[b];
    });
    nodes_[me].tok_begin = static_cast<uint32_t>(order_.size());
    order_.insert(order_.end(), src.toks.begin(), src.toks.end());
    nodes_[me].tok_here = static_cast<uint32_t>(order_.size());
    std::sort(src.kids.begin(), src.kids.end());
    const uint32_t eb = static_cast<uint32_t>(edges_.size());
    edges_.resize(eb + src.kids.size());
    nodes_[me].edge_begin = eb;
    nodes_[me].edge_end = eb + static_cast<uint32_t>(src.kids.size());
    uint64_t sig[2] = {0, 0};
    bool non_ascii = false, valid = tail >= 0;
    uint32_t depth = 0;
    for (size_t k = 0; k < src.kids.size(); ++k) {
      const uint8_t b = src.kids[k].first;
      int next;
      std::pair<uint8_t, uint8_t> range{0x80, 0xBF};
      if (tail < 0) {
        next = -1;
      } else if (tail > 0) {
        next = b >= lo && b <= hi ? tail - 1 : -1;
      } else {
        next = utf8_tail(b);
        range = utf8_second(b);
      }
      const uint32_t c = visit(src.kids[k].second, next, range.first, range.second);
      edges_[eb + k] = Edge{b, c};
      const Node& cn = nodes_[c];
      if (b < 0x80)
        sig[b >> 6] |= 1ULL << (b & 63);
      else
        non_ascii = true;
      sig[0] |= cn.sig[0];
      sig[1] |= cn.sig[1];
      non_ascii |= cn.non_ascii;
      // A character is counted at its first byte (an unfinished last one counts too).
      depth = std::max<uint32_t>(depth, cn.depth + ((b & 0xC0) != 0x80 ? 1u : 0u));
      valid = valid && ok[c];
    }
    Node& nd = nodes_[me];
    nd.subtree_end = static_cast<uint32_t>(nodes_.size());
    nd.sig[0] = sig[0];
    nd.sig[1] = sig[1];
    nd.non_ascii = non_ascii;
    nd.depth = static_cast<uint16_t>(std::min<uint32_t>(depth, 65535));
    nd.clean = tail == 0 && valid;
    ok[me] = valid;
    return me;
  };
  visit(0, 0, 0x80, 0xBF);
}

const LoopIndex* TokenTrie::loop_index(const uint64_t loop[2], bool non_ascii) const {
  const std::array<uint64_t, 3> key{loop[0], loop[1], non_ascii ? 1u : 0u};
  std::lock_guard<std::mutex> lk(loops_mu_);
  auto found = loops_.find(key);
  if (found != loops_.end()) return found->second.get();
  if (loops_.size() >= kMaxLoopIndexes) return nullptr;
  auto& slot = loops_[key];
  auto li = std::make_unique<LoopIndex>();
  li->inside.assign((n_vocab_ + 31) / 32, 0);
  std::vector<std::vector<std::string>> suffix(LoopIndex::kMaxPrefix + 1);
  li->inside_by_len.resize(LoopIndex::kMaxPrefix + 1);
  for (size_t id = 0; id < n_vocab_; ++id) {
    const std::string& p = pieces_[id];
    if (p.empty() || !utf8_prefix_valid(p.data(), p.size())) continue;  // never valid anyway
    size_t k = 0, chars = 0;
    while (k < p.size()) {
      const uint8_t b = static_cast<uint8_t>(p[k]);
      if (b < 0x80) {
        if (!((loop[b >> 6] >> (b & 63)) & 1)) break;
        ++k;
      } else {
        if (!non_ascii) break;
        k += static_cast<size_t>(utf8_tail(b)) + 1;
      }
      ++chars;
    }
    const size_t bucket = std::min(chars, LoopIndex::kMaxPrefix);
    if (k >= p.size()) {
      li->inside[id >> 5] |= 1u << (id & 31);
      li->inside_by_len[bucket].push_back(static_cast<int32_t>(id));
    } else {
      auto& s = suffix[bucket];
      if (s.empty()) s.resize(n_vocab_);
      s[id] = p.substr(k);
    }
  }
  for (auto& s : suffix)
    li->suffixes.push_back(s.empty() ? nullptr : std::make_unique<TokenTrie>(s, std::vector<bool>(), false));
  slot = std::move(li);
  return slot.get();
}

}  // namespace capibara::grammar
