#include "grammar/matcher.h"

#include <algorithm>
#include <cstring>

#include "grammar/utf8.h"

namespace capibara::grammar {

namespace {

constexpr uint32_t kMaxCodePoint = 0x10FFFF;
constexpr size_t kMaskCacheEntries = 256;  // ~5 MiB with a 151k vocabulary
constexpr size_t kMaxForcedBytes = 256;
// States whose run covers at least this many ASCII bytes use the vocabulary's loop index (one index
// is built per distinct byte set, so small sets such as digits keep the plain walk).
constexpr int kLoopIndexMinBytes = 32;
constexpr uint32_t kUnbounded = UINT32_MAX;

bool seq_end(const Elem& e) { return e.op == Op::End || e.op == Op::Alt; }

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  return h;
}

void put_utf8(std::string& s, uint32_t cp) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

}  // namespace

Matcher::Matcher(std::shared_ptr<const CompiledGrammar> g)
    : cg_(std::move(g)), g_(cg_->grammar), trie_(*cg_->trie), is_eog_(trie_.n_vocab(), false) {
  for (int32_t t : cg_->eog)
    if (t >= 0 && static_cast<size_t>(t) < is_eog_.size()) is_eog_[t] = true;
  nodes_.emplace_back(UINT32_MAX, 0);
  std::vector<uint32_t> none;
  intern(none, false);  // set 0: dead
  std::vector<uint32_t> start;
  bool acc = false;
  expand_rule(g_.root, 0, start, acc);
  cur_.set = intern(start, acc);
  mask_.assign((trie_.n_vocab() + 31) / 32, 0);
  compute_min_lengths();
}

// Shortest expansion of every rule (a fixpoint: rules may be recursive), then of every sequence tail.
void Matcher::compute_min_lengths() {
  constexpr uint32_t kInf = UINT32_MAX / 4;
  const size_t n_rules = g_.rule_start.size();
  std::vector<uint32_t> rule_min(n_rules, kInf);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < n_rules; ++r) {
      uint32_t best = kInf, sum = 0;
      for (uint32_t p = g_.rule_start[r];; ++p) {
        const Elem& e = g_.elems[p];
        if (seq_end(e)) {
          best = std::min(best, sum);
          sum = 0;
          if (e.op == Op::End) break;
          continue;
        }
        sum = std::min(kInf, sum + (e.op == Op::Class ? 1 : rule_min[e.arg]));
      }
      if (best < rule_min[r]) {
        rule_min[r] = best;
        changed = true;
      }
    }
  }
  rest_.assign(g_.elems.size() + 1, 0);
  for (size_t p = g_.elems.size(); p-- > 0;) {
    const Elem& e = g_.elems[p];
    rest_[p] = seq_end(e) ? 0 : std::min(kInf, (e.op == Op::Class ? 1 : rule_min[e.arg]) + rest_[p + 1]);
  }
}

uint32_t Matcher::node_distance(uint32_t n) {
  if (n == 0) return 0;
  if (node_dist_.size() < nodes_.size()) node_dist_.resize(nodes_.size(), UINT32_MAX);
  if (node_dist_[n] != UINT32_MAX) return node_dist_[n];
  const auto [pos, parent] = nodes_[n];
  const uint32_t d = std::min(UINT32_MAX / 4, rest_[pos] + node_distance(parent));
  node_dist_[n] = d;
  return d;
}

uint32_t Matcher::walk_distance(const Walk& w) {
  if (set_dist_.size() < sets_.size()) set_dist_.resize(sets_.size(), UINT32_MAX);
  uint32_t& d = set_dist_[w.set];
  if (d == UINT32_MAX) {
    uint32_t best = sets_[w.set].accepting ? 0 : UINT32_MAX / 4;
    for (uint32_t s : sets_[w.set].stacks) best = std::min(best, node_distance(s));
    set_dist_[w.set] = best;
  }
  // Inside a character the set has not advanced yet: finishing it is one more step.
  return set_dist_[w.set] + (w.part.need ? 1 : 0);
}

uint32_t Matcher::distance() { return walk_distance(cur_); }

void Matcher::fill_closing(uint32_t n, const Walk& w, uint32_t limit) {
  const TokenTrie::Node& nd = trie_.node(n);
  if (nd.tok_here > nd.tok_begin && walk_distance(w) < limit) set_run(trie_, nd.tok_begin, nd.tok_here);
  const TokenTrie::Edge* e = trie_.edges();
  for (uint32_t k = nd.edge_begin; k < nd.edge_end; ++k) {
    Walk c = w;
    if (step(c, e[k].byte)) fill_closing(e[k].child, c, limit);
  }
}

const uint32_t* Matcher::closing_mask() {
  std::fill(mask_.begin(), mask_.end(), 0u);
  const uint32_t d = distance();
  if (d > 0 && cur_.set != 0) fill_closing(TokenTrie::kRoot, cur_, d);
  if (accepting())
    for (int32_t t : cg_->eog)
      if (t >= 0 && static_cast<size_t>(t) < is_eog_.size()) mask_[static_cast<size_t>(t) >> 5] |= 1u << (t & 31);
  return mask_.data();
}

uint32_t Matcher::node(uint32_t pos, uint32_t parent) {
  const uint64_t key = (static_cast<uint64_t>(pos) << 32) | parent;
  auto it = node_ids_.find(key);
  if (it != node_ids_.end()) return it->second;
  const uint32_t id = static_cast<uint32_t>(nodes_.size());
  nodes_.emplace_back(pos, parent);
  node_ids_.emplace(key, id);
  return id;
}

// Continues the sequence at `pos` on top of stack `parent`, collecting every stack whose top is a
// character class; reaching the end of the outermost sequence marks the set accepting.
void Matcher::expand(uint32_t pos, uint32_t parent, std::vector<uint32_t>& out, bool& acc) {
  const Elem& e = g_.elems[pos];
  if (seq_end(e)) {
    if (parent == 0) {
      acc = true;
    } else {
      expand(nodes_[parent].first, nodes_[parent].second, out, acc);
    }
  } else if (e.op == Op::Class) {
    out.push_back(node(pos, parent));
  } else {
    // Tail call: nothing follows the reference in this sequence, so return straight to `parent`.
    const uint32_t ret = seq_end(g_.elems[pos + 1]) ? parent : node(pos + 1, parent);
    expand_rule(e.arg, ret, out, acc);
  }
}

void Matcher::expand_rule(uint32_t rule, uint32_t ret, std::vector<uint32_t>& out, bool& acc) {
  for (uint32_t p = g_.rule_start[rule];; ++p) {
    expand(p, ret, out, acc);
    while (!seq_end(g_.elems[p])) ++p;
    if (g_.elems[p].op == Op::End) break;
  }
}

uint32_t Matcher::intern(std::vector<uint32_t>& stacks, bool acc) {
  std::sort(stacks.begin(), stacks.end());
  stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
  uint64_t h = acc ? 1 : 2;
  for (uint32_t s : stacks) h = mix(h, s);
  auto& bucket = set_ids_[h];
  for (uint32_t id : bucket)
    if (sets_[id].accepting == acc && sets_[id].stacks == stacks) return id;
  const uint32_t id = static_cast<uint32_t>(sets_.size());
  sets_.emplace_back();
  sets_.back().stacks = stacks;
  sets_.back().accepting = acc;
  bucket.push_back(id);
  return id;
}

uint32_t Matcher::advance(uint32_t set, uint32_t cp) {
  int32_t* slot = nullptr;
  if (cp < 128) {
    auto& tab = sets_[set].ascii;
    if (!tab) {
      tab = std::make_unique<std::array<int32_t, 128>>();
      tab->fill(-1);
    }
    slot = &(*tab)[cp];
    if (*slot >= 0) return static_cast<uint32_t>(*slot);
  } else {
    auto it = trans_.find((static_cast<uint64_t>(set) << 21) | cp);
    if (it != trans_.end()) return it->second;
  }
  std::vector<uint32_t> out;
  bool acc = false;
  const std::vector<uint32_t> stacks = sets_[set].stacks;  // copy: interning may grow sets_
  for (uint32_t s : stacks) {
    const auto [pos, parent] = nodes_[s];
    if (g_.classes[g_.elems[pos].arg].contains(cp)) expand(pos + 1, parent, out, acc);
  }
  const uint32_t next = intern(out, acc);
  if (cp < 128)
    (*sets_[set].ascii)[cp] = static_cast<int32_t>(next);
  else
    trans_.emplace((static_cast<uint64_t>(set) << 21) | cp, next);
  return next;
}

// Whether some code point starting with the partial bytes can be matched.
bool Matcher::may_continue(uint32_t set, const Partial& p) const {
  // The next byte's range bounds the code points still reachable (exact: it excludes overlong forms).
  const uint32_t rest = 6 * (p.need - 1), base = p.value << (6 * p.need);
  const uint32_t lo = base | (static_cast<uint32_t>(p.lo & 0x3F) << rest);
  const uint32_t hi = std::min(base | (static_cast<uint32_t>(p.hi & 0x3F) << rest) | ((1u << rest) - 1), kMaxCodePoint);
  for (uint32_t s : sets_[set].stacks)
    if (g_.classes[g_.elems[nodes_[s].first].arg].intersects(lo, hi)) return true;
  return false;
}

bool Matcher::step(Walk& w, uint8_t b) {
  if (w.part.need == 0) {
    if (b < 0x80) {
      w.set = advance(w.set, b);
      return w.set != 0;
    }
    const int tail = utf8_tail(b);
    if (tail <= 0) return false;
    const auto [lo, hi] = utf8_second(b);
    w.part = {b & (0x3Fu >> tail), static_cast<uint32_t>(tail), lo, hi};
    return may_continue(w.set, w.part);
  }
  if (b < w.part.lo || b > w.part.hi) return false;
  w.part.lo = 0x80;
  w.part.hi = 0xBF;
  w.part.value = (w.part.value << 6) | (b & 0x3Fu);
  if (--w.part.need > 0) return may_continue(w.set, w.part);
  const uint32_t cp = w.part.value;
  w.part = {};
  w.set = advance(w.set, cp);
  return w.set != 0;
}

bool Matcher::walk_token(Walk& w, int32_t token) {
  if (token < 0 || static_cast<size_t>(token) >= trie_.n_vocab()) return false;
  if (is_eog_[token]) return sets_[w.set].accepting && w.part.need == 0;
  const std::string_view p = trie_.piece(token);
  if (p.empty()) return false;
  for (unsigned char b : p)
    if (!step(w, b)) return false;
  return true;
}

bool Matcher::allows(int32_t token) {
  Walk w = cur_;
  return walk_token(w, token);
}

Status Matcher::accept(int32_t token) {
  Walk w = cur_;
  if (!walk_token(w, token))
    return Status(ErrorCode::GRAMMAR_DEAD_END, "grammar: token " + std::to_string(token) + " is not allowed here");
  if (!is_eog_[static_cast<size_t>(token)]) cur_ = w;
  return Status::ok();
}

Status Matcher::accept_text(std::string_view bytes) {
  Walk w = cur_;
  for (unsigned char b : bytes)
    if (!step(w, b)) return Status(ErrorCode::GRAMMAR_DEAD_END, "grammar: the text after the trigger is not allowed: " + std::string(bytes));
  cur_ = w;
  return Status::ok();
}

bool Matcher::accepting() const { return sets_[cur_.set].accepting && cur_.part.need == 0; }
bool Matcher::complete() const { return sets_[cur_.set].stacks.empty(); }

// All 128 ASCII transitions of a set, with one real advance per group of bytes that the same
// stacks accept (the successor depends only on which stacks match).
void Matcher::fill_ascii(uint32_t set) {
  const size_t n = sets_[set].stacks.size();
  if (n > 64) {
    for (uint32_t b = 0; b < 128; ++b) advance(set, b);
    return;
  }
  std::array<uint64_t, 128> key{};
  for (size_t i = 0; i < n; ++i) {
    const CharClass& c = g_.classes[g_.elems[nodes_[sets_[set].stacks[i]].first].arg];
    for (uint32_t b = 0; b < 128; ++b)
      if ((c.ascii[b >> 6] >> (b & 63)) & 1) key[b] |= 1ULL << i;
  }
  std::vector<std::pair<uint64_t, uint32_t>> seen;  // key -> successor
  for (uint32_t b = 0; b < 128; ++b) {
    auto it = std::find_if(seen.begin(), seen.end(), [&](const auto& s) { return s.first == key[b]; });
    if (it == seen.end()) {
      seen.emplace_back(key[b], advance(set, b));
    } else {
      auto& tab = sets_[set].ascii;  // advance() allocated it
      if ((*tab)[b] < 0) (*tab)[b] = static_cast<int32_t>(it->second);
    }
  }
}

// Non-ASCII characters all behave alike when every top class holds all of them or none.
bool Matcher::non_ascii_uniform(uint32_t set) const {
  for (uint32_t s : sets_[set].stacks) {
    const CharClass& c = g_.classes[g_.elems[nodes_[s].first].arg];
    const bool any = c.intersects(0x80, kMaxCodePoint);
    const bool all = std::any_of(c.ranges.begin(), c.ranges.end(), [](const auto& r) { return r.first <= 0x80 && r.second >= kMaxCodePoint; });
    if (any && !all) return false;
  }
  return true;
}

// Chain length of a set (see SetInfo::run); `depth` bounds the recursion along the chain.
uint32_t Matcher::run_length(uint32_t set, uint32_t depth) {
  constexpr uint32_t kMaxRun = 256;
  if (sets_[set].run_known) return sets_[set].run_len;
  fill_ascii(set);
  // The most common live successor among ASCII bytes, and the bytes leading to it.
  std::array<int32_t, 128> succ = *sets_[set].ascii;
  uint32_t best = 0, best_count = 0;
  for (uint32_t b = 0; b < 128; ++b) {
    if (succ[b] <= 0) continue;
    uint32_t count = 0;
    for (uint32_t c = 0; c < 128; ++c) count += succ[c] == succ[b];
    if (count > best_count) best_count = count, best = static_cast<uint32_t>(succ[b]);
  }
  SetInfo* si = &sets_[set];
  si->run_known = true;  // before recursing: a cycle back here ends the chain
  si->run_len = 0;
  if (best == 0) return 0;
  for (uint32_t b = 0; b < 128; ++b)
    if (succ[b] == static_cast<int32_t>(best)) si->run[b >> 6] |= 1ULL << (b & 63);
  si->run_non_ascii = non_ascii_uniform(set) && advance(set, 0x80) == best;
  si = &sets_[set];
  uint32_t len;
  if (best == set) {
    len = kUnbounded;
  } else {
    len = 1;
    if (depth < kMaxRun) {
      const uint32_t next = run_length(best, depth + 1);
      const SetInfo& t = sets_[best];
      si = &sets_[set];
      const bool covered = (si->run[0] & ~t.run[0]) == 0 && (si->run[1] & ~t.run[1]) == 0 && (!si->run_non_ascii || t.run_non_ascii);
      if (covered) len = next == kUnbounded ? kUnbounded : std::min(kMaxRun, next + 1);
    }
  }
  si->run_len = len;
  return len;
}

void Matcher::set_run(const TokenTrie& trie, uint32_t begin, uint32_t end) {
  const int32_t* order = trie.order();
  for (uint32_t i = begin; i < end; ++i) {
    const uint32_t t = static_cast<uint32_t>(order[i]);
    mask_[t >> 5] |= 1u << (t & 31);
  }
}

// Sets the bits of every token below trie node n, reached in state w.
void Matcher::fill(const TokenTrie& trie, uint32_t n, const Walk& w) {
  const TokenTrie::Node& nd = trie.node(n);
  set_run(trie, nd.tok_begin, nd.tok_here);
  if (w.part.need == 0 && nd.clean && nd.edge_end > nd.edge_begin) {
    const uint32_t len = run_length(w.set, 0);
    const SetInfo& si = sets_[w.set];
    if (nd.depth <= len && (nd.sig[0] & ~si.run[0]) == 0 && (nd.sig[1] & ~si.run[1]) == 0 && (!nd.non_ascii || si.run_non_ascii)) {
      set_run(trie, nd.tok_here, trie.subtree_tok_end(n));
      return;
    }
  }
  const TokenTrie::Edge* e = trie.edges();
  for (uint32_t k = nd.edge_begin; k < nd.edge_end; ++k) {
    Walk c = w;
    if (step(c, e[k].byte)) fill(trie, e[k].child, c);
  }
}

const uint32_t* Matcher::mask() {
  const uint64_t key = (static_cast<uint64_t>(cur_.set) << 26) | (static_cast<uint64_t>(cur_.part.need) << 24) | cur_.part.value;
  auto it = mask_cache_.find(key);
  if (it != mask_cache_.end()) return it->second.data();
  std::fill(mask_.begin(), mask_.end(), 0u);
  if (cur_.set != 0 && !(cur_.part.need == 0 && fill_by_index(cur_.set))) fill(trie_, TokenTrie::kRoot, cur_);
  if (accepting())
    for (int32_t t : cg_->eog)
      if (t >= 0 && static_cast<size_t>(t) < is_eog_.size()) mask_[static_cast<size_t>(t) >> 5] |= 1u << (t & 31);
  if (mask_cache_.size() >= kMaskCacheEntries) mask_cache_.clear();
  return mask_cache_.emplace(key, mask_).first->second.data();
}

// The mask through the vocabulary's loop index for the set's run bytes L (see LoopIndex): tokens
// made of at most run_len characters of L, plus each suffix trie walked from the state after its
// prefix. Exact only when the run is unbounded or its end admits no byte of L (a string with
// maxLength): false otherwise, and the caller walks the whole trie.
bool Matcher::fill_by_index(uint32_t set) {
  const uint32_t len = run_length(set, 0);
  const uint64_t run[2] = {sets_[set].run[0], sets_[set].run[1]};  // copies: sets_ may grow below
  const bool run_na = sets_[set].run_non_ascii;
  if (len == 0 || __builtin_popcountll(run[0]) + __builtin_popcountll(run[1]) < kLoopIndexMinBytes) return false;
  const uint32_t rep = run[0] ? static_cast<uint32_t>(__builtin_ctzll(run[0])) : 64 + static_cast<uint32_t>(__builtin_ctzll(run[1]));
  const size_t kMax = LoopIndex::kMaxPrefix;
  // States after j characters of L, j = 0 .. min(len, kMax).
  std::vector<uint32_t> after{set};
  const size_t steps = len == kUnbounded ? kMax : std::min<size_t>(len, kMax);
  while (after.size() <= steps) after.push_back(advance(after.back(), rep));
  if (len != kUnbounded) {
    if (len >= kMax) return false;  // the last bucket mixes lengths: not exact
    const uint32_t end = after.back();
    for (uint32_t b = 0; b < 128; ++b)
      if (((run[b >> 6] >> (b & 63)) & 1) && advance(end, b) != 0) return false;
    if (run_na && advance(end, 0x80) != 0) return false;
  }
  const LoopIndex* li = trie_.loop_index(run, run_na);
  if (!li) return false;
  // The last bucket holds every prefix of kMax characters or more: one state only if it loops.
  if (len == kUnbounded && li->suffixes[kMax] && advance(after[kMax], rep) != after[kMax]) return false;
  if (len == kUnbounded) {
    std::copy(li->inside.begin(), li->inside.end(), mask_.begin());
  } else {
    for (size_t n = 1; n <= len; ++n)
      for (int32_t t : li->inside_by_len[n]) mask_[static_cast<uint32_t>(t) >> 5] |= 1u << (t & 31);
  }
  for (size_t j = 0; j < li->suffixes.size() && j < after.size(); ++j)
    if (li->suffixes[j] && after[j] != 0) fill(*li->suffixes[j], TokenTrie::kRoot, Walk{after[j], {}});
  return true;
}

std::vector<int32_t> Matcher::forced(size_t max) {
  std::vector<int32_t> out;
  if (cur_.part.need != 0) return out;
  // The text the grammar forces: one possible code point at a time, until a choice or the end.
  std::string text;
  uint32_t set = cur_.set;
  while (text.size() < kMaxForcedBytes && set != 0 && !sets_[set].accepting) {
    uint32_t only = UINT32_MAX;
    bool single = true;
    for (uint32_t s : sets_[set].stacks) {
      const CharClass& c = g_.classes[g_.elems[nodes_[s].first].arg];
      if (c.ranges.size() != 1 || c.ranges[0].first != c.ranges[0].second || (only != UINT32_MAX && only != c.ranges[0].first)) {
        single = false;
        break;
      }
      only = c.ranges[0].first;
    }
    if (!single || only == UINT32_MAX) break;
    put_utf8(text, only);
    set = advance(set, only);
  }
  // Longest vocabulary entries that fit entirely inside the forced text.
  size_t at = 0;
  const TokenTrie::Edge* e = trie_.edges();
  while (out.size() < max && at < text.size()) {
    uint32_t n = TokenTrie::kRoot;
    int32_t best = -1;
    size_t best_len = 0;
    for (size_t k = at; k < text.size(); ++k) {
      const TokenTrie::Node& nd = trie_.node(n);
      const TokenTrie::Edge* f = std::lower_bound(e + nd.edge_begin, e + nd.edge_end, static_cast<uint8_t>(text[k]),
                                                  [](const TokenTrie::Edge& x, uint8_t b) { return x.byte < b; });
      if (f == e + nd.edge_end || f->byte != static_cast<uint8_t>(text[k])) break;
      n = f->child;
      const TokenTrie::Node& cn = trie_.node(n);
      if (cn.tok_here > cn.tok_begin) {
        best = trie_.order()[cn.tok_begin];
        best_len = k + 1 - at;
      }
    }
    if (best < 0) break;
    out.push_back(best);
    at += best_len;
  }
  return out;
}

}  // namespace capibara::grammar
