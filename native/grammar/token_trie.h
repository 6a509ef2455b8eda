// Prefix tree over the byte strings of a vocabulary, laid out in depth-first preorder so that the
// tokens below any node are one contiguous run of `order()`. The grammar matcher walks it once per
// full mask, pruning a subtree as soon as its prefix is rejected.
//
// Each node also carries a summary of its subtree (the ASCII bytes on its edges, whether non-ASCII
// bytes occur, whether every token in it is well-formed UTF-8): when the parser state at a node
// loops onto itself on all of those bytes (inside a JSON string, say), every token below is valid
// and the walk sets the whole run at once instead of descending.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace capibara::grammar {

class TokenTrie {
 public:
  // pieces[id] are the bytes token id adds to the text; empty pieces (control tokens) are left
  // out. Among tokens with equal bytes, those not flagged in `fallback` (SentencePiece byte
  // tokens) come first, so forced text prefers ordinary tokens.
  TokenTrie(const std::vector<std::string>& pieces, const std::vector<bool>& fallback);

  static constexpr uint32_t kRoot = 0;
  size_t n_nodes() const { return nodes_.size(); }
  size_t n_vocab() const { return n_vocab_; }
  std::string_view piece(int32_t id) const { return pieces_[static_cast<size_t>(id)]; }

  struct Node {
    uint32_t edge_begin, edge_end;  // children: edges_[edge_begin, edge_end), by byte
    uint32_t subtree_end;           // first node after this subtree (preorder)
    uint32_t tok_begin, tok_here;   // order_[tok_begin, tok_here): tokens ending here
    uint64_t sig[2];                // ASCII bytes on edges below this node
    bool non_ascii;                 // some edge below carries a byte >= 0x80
    bool clean;                     // node ends on a character boundary and every token below is UTF-8
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

 private:
  size_t n_vocab_;
  std::vector<std::string> pieces_;
  std::vector<Node> nodes_;
  std::vector<Edge> edges_;
  std::vector<int32_t> order_;
};

}  // namespace capibara::grammar
