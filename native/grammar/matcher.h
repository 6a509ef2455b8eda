// Incremental GBNF matcher over tokens. The parser state is a set of stacks (a pushdown automaton
// run on all alternatives at once, as in llama.cpp's llama-grammar); stacks are hash-consed nodes
// (position, parent) and whole stack sets are interned, so a state is one integer and a
// transition on a code point is memoised. A token is checked by walking its bytes (UTF-8 decoded
// on the way, a token may end inside a character); the full mask walks the vocabulary's trie, or,
// for states that read a large byte set alike (JSON strings), combines the vocabulary's loop index
// with walks of its small suffix tries; masks are cached per state.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "grammar/gbnf.h"
#include "grammar/token_trie.h"

namespace capibara::grammar {

// A grammar bound to a vocabulary; immutable, shared by the generations that use it.
struct CompiledGrammar {
  Grammar grammar;
  std::shared_ptr<const TokenTrie> trie;
  std::vector<int32_t> eog;  // end-of-generation ids: allowed exactly where the grammar accepts
};

class Matcher {
 public:
  explicit Matcher(std::shared_ptr<const CompiledGrammar> g);

  // Whether `token` may come next (no state change).
  bool allows(int32_t token);
  // Advances over `token`; GRAMMAR_DEAD_END naming it if the grammar does not allow it.
  Status accept(int32_t token);
  // Advances over raw text (a lazy grammar's trigger and what followed it in the same token).
  Status accept_text(std::string_view bytes);
  // The bytes token `id` adds to the text (empty for control tokens).
  std::string_view piece(int32_t id) const { return trie_.piece(id); }
  // Bitmask of allowed tokens, bit i of word i / 32 (valid until the next accept).
  const uint32_t* mask();
  // True when nothing can follow except end of generation.
  bool complete() const;
  // True when the grammar accepts here (end of generation allowed).
  bool accepting() const;
  // Tokens the grammar forces from here (the only continuation, longest vocabulary matches,
  // at most `max`); they still have to be accepted.
  std::vector<int32_t> forced(size_t max);
  size_t n_vocab() const { return trie_.n_vocab(); }

  // Fewest characters that still complete the grammar from here (0 where it accepts).
  uint32_t distance();
  // Bitmask of the tokens that bring the grammar strictly closer to its end (end of generation
  // where it accepts): following it, the output completes within distance() tokens. A vocabulary
  // with every single byte (byte-level BPE, SentencePiece byte fallback) always has such a token.
  const uint32_t* closing_mask();

 private:
  struct Partial {  // an unfinished UTF-8 character
    uint32_t value = 0;
    uint32_t need = 0;              // continuation bytes still expected (0: on a character boundary)
    uint8_t lo = 0x80, hi = 0xBF;   // range of the next byte (no overlong forms, surrogates or > U+10FFFF)
  };
  struct Walk {
    uint32_t set;
    Partial part;
  };
  struct SetInfo {
    std::vector<uint32_t> stacks;  // sorted ids of stacks whose top is a character class
    bool accepting = false;
    std::unique_ptr<std::array<int32_t, 128>> ascii;  // memoised ASCII transitions (-1: unknown)
    // Chain: the bytes `run` (and all non-ASCII characters when run_non_ascii) share one
    // successor; `run_len` characters of them in a row are always valid (kUnbounded for a self-loop,
    // e.g. a JSON string; finite for a string with maxLength).
    bool run_known = false, run_non_ascii = false;
    uint64_t run[2] = {0, 0};
    uint32_t run_len = 0;
  };

  uint32_t node(uint32_t pos, uint32_t parent);
  void expand(uint32_t pos, uint32_t parent, std::vector<uint32_t>& out, bool& acc);
  void expand_rule(uint32_t rule, uint32_t ret, std::vector<uint32_t>& out, bool& acc);
  uint32_t intern(std::vector<uint32_t>& stacks, bool acc);
  uint32_t advance(uint32_t set, uint32_t cp);
  bool may_continue(uint32_t set, const Partial& p) const;
  bool step(Walk& w, uint8_t byte);
  bool walk_token(Walk& w, int32_t token);
  void fill_ascii(uint32_t set);
  bool non_ascii_uniform(uint32_t set) const;
  uint32_t run_length(uint32_t set, uint32_t depth);
  void fill(const TokenTrie& t, uint32_t node, const Walk& w);
  bool fill_by_index(uint32_t set);
  void set_run(const TokenTrie& t, uint32_t begin, uint32_t end);
  void compute_min_lengths();
  uint32_t node_distance(uint32_t node);
  uint32_t walk_distance(const Walk& w);
  void fill_closing(uint32_t node, const Walk& w, uint32_t limit);

  std::shared_ptr<const CompiledGrammar> cg_;
  const Grammar& g_;
  const TokenTrie& trie_;
  std::vector<bool> is_eog_;
  // Stack nodes: node 0 is the empty stack.
  std::vector<std::pair<uint32_t, uint32_t>> nodes_;
  std::unordered_map<uint64_t, uint32_t> node_ids_;
  std::vector<SetInfo> sets_;                                   // set 0: dead (no stack, not accepting)
  std::unordered_map<uint64_t, std::vector<uint32_t>> set_ids_;  // content hash -> candidate ids
  std::unordered_map<uint64_t, uint32_t> trans_;                 // (set, non-ASCII cp) -> set
  Walk cur_{};
  std::vector<uint32_t> mask_;
  std::unordered_map<uint64_t, std::vector<uint32_t>> mask_cache_;
  std::vector<uint32_t> rest_;       // per element: fewest characters to the end of its sequence
  std::vector<uint32_t> node_dist_;  // per stack node, memoised (UINT32_MAX: unknown)
  std::vector<uint32_t> set_dist_;   // per set, memoised
};

}  // namespace capibara::grammar
