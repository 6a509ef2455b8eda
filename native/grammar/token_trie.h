// Prefix tree over the byte strings of a vocabulary, laid out in depth-first preorder so that the
// tokens below any node are one contiguous run of `order()`. The grammar matcher walks it once per
// full mask, pruning a subtree as soon as its prefix is rejected.
//
// Each node also carries a summary of its subtree (the ASCII bytes on its edges, whether non-ASCII
// bytes occur, whether every token in it is well-formed UTF-8, its depth in characters): when the
// parser state reads all of those bytes alike for at least that many characters (inside a JSON
// string, say), every token below is valid and the walk sets the whole run at once.
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace capibara::grammar {

class TokenTrie;

// For a parser state that loops onto itself on a set of bytes L (inside a JSON string: every
// character but '"', '\\' and controls), the tokens made only of L are valid whatever the rest of
// the parser stack is (xgrammar's context-independent tokens): they are one precomputed bitmask.
// Every other token is valid iff its suffix from its first byte outside L is, so only a trie of
// those suffixes (a few thousand, mostly starting with '"') is walked.
// A state that reads k characters of L and then some different text (a string with maxLength)
// uses the same split, by the number of characters before the cut.
struct LoopIndex {
  static constexpr size_t kMaxPrefix = 64;               // longer prefixes share the last bucket
  std::vector<uint32_t> inside;                          // bitmask over the vocabulary
  std::vector<std::vector<int32_t>> inside_by_len;       // [characters] inside tokens
  std::vector<std::unique_ptr<TokenTrie>> suffixes;      // [characters before the cut] suffix tries
};

class TokenTrie {
 public:
  // pieces[id] are the bytes token id adds to the text; empty pieces (control tokens) are left
  // out. Among tokens with equal bytes, those not flagged in `fallback` (SentencePiece byte
  // tokens) come first, so forced text prefers ordinary tokens.
  // keep_pieces = false: piece() is not needed (suffix tries of a LoopIndex).
  TokenTrie(const std::vector<std::string>& pieces, const std::vector<bool>& fallback, bool keep_pieces = true);

  static constexpr uint32_t kRoot = 0;
  size_t n_vocab() const { return n_vocab_; }
  std::string_view piece(int32_t id) const { return pieces_[static_cast<size_t>(id)]; }

  struct Node {
    uint32_t edge_begin, edge_end;  // children: edges_[edge_begin, edge_end), by byte
    uint32_t subtree_end;           // first node after this subtree (preorder)
    uint32_t tok_begin, tok_here;   // order_[tok_begin, tok_here): tokens ending here
    uint64_t sig[2];                // ASCII bytes on edges below this node
    bool non_ascii;                 // some edge below carries a byte >= 0x80
    bool clean;                     // node ends on a character boundary and every token below is UTF-8
    uint16_t depth;                 // most characters on a path below this node (capped at 65535)
  };
  struct Edge {
    uint8_t byte;
    uint32_t child;
  };
  const Node& node(uint32_t n) const { return nodes_[n]; }
  const Edge* edges() const { return edges_.data(); }
  // Tokens of the subtree below n, n's own included.
  uint32_t subtree_tok_end(uint32_t n) const {
    const uint32_t e = nodes_[n].subtree_end;
    return e < nodes_.size() ? nodes_[e].tok_begin : static_cast<uint32_t>(order_.size());
  }
  const int32_t* order() const { return order_.data(); }

  // The index for the ASCII loop bytes `loop` (and every non-ASCII character when
  // `non_ascii`), built on first use and shared by all matchers of this vocabulary.
  // At most kMaxLoopIndexes distinct sets get an index (null beyond: the caller walks the trie).
  const LoopIndex* loop_index(const uint64_t loop[2], bool non_ascii) const;
  static constexpr size_t kMaxLoopIndexes = 16;

 private:
  size_t n_vocab_;
  std::vector<std::string> pieces_;
  std::vector<Node> nodes_;
  std::vector<Edge> edges_;
  std::vector<int32_t> order_;
  mutable std::mutex loops_mu_;
  mutable std::map<std::array<uint64_t, 3>, std::unique_ptr<LoopIndex>> loops_;
};

}  // namespace capibara::grammar
