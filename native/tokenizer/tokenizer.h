// Tokenizers built from GGUF tokenizer metadata: SentencePiece-style (`tokenizer.ggml.model` =
// "llama": merges by score, byte fallback <0xXX>) and byte-level BPE ("gpt2": merge ranks and the
// pre-tokenizer named by `tokenizer.ggml.pre`). Behaviour follows llama.cpp's llama-vocab.cpp
// (the reference the tests compare with): special-token partitioning, add_bos/add_eos, piece
// decoding, leading-space and clean-up rules.
#pragma once
#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/status.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/tables.h"

namespace capibara::gguf {
class GgufFile;
}

namespace capibara::tokenizer {

// Token attributes (llama.cpp's llama_token_attr bits), derived from GGUF token types.
enum TokenAttr : uint32_t {
  kAttrUndefined = 0,
  kAttrUnknown = 1u << 0,
  kAttrUnused = 1u << 1,
  kAttrNormal = 1u << 2,
  kAttrControl = 1u << 3,
  kAttrUserDefined = 1u << 4,
  kAttrByte = 1u << 5,
  kAttrLstrip = 1u << 7,
  kAttrRstrip = 1u << 8,
};

// GGUF token types (tokenizer.ggml.token_type values).
enum TokenType : int32_t { kTypeUndefined = 0, kTypeNormal, kTypeUnknown, kTypeControl, kTypeUserDefined, kTypeUnused, kTypeByte };

// Plain mirror of the GGUF tokenizer keys; unset optionals take llama.cpp's defaults.
struct TokenizerData {
  std::string model;                 // tokenizer.ggml.model: "llama" or "gpt2"
  std::string pre;                   // tokenizer.ggml.pre (gpt2 only; empty: llama.cpp's "default")
  std::vector<std::string> tokens;   // tokenizer.ggml.tokens
  std::vector<float> scores;         // tokenizer.ggml.scores (empty: all 0)
  std::vector<int32_t> token_types;  // tokenizer.ggml.token_type (empty: all normal)
  std::vector<std::string> merges;   // tokenizer.ggml.merges ("left right", in rank order)
  std::optional<int32_t> bos_id, eos_id, eot_id, eom_id, unk_id, sep_id, pad_id;
  std::optional<bool> add_bos, add_eos, add_space_prefix;
  std::string model_name;            // general.name (llama.cpp keys a phi-3 rule on it)
  std::string chat_template;         // tokenizer.chat_template (kept for the chat layer; may be empty)
};

// The GGUF keys of a file as TokenizerData (bad or missing keys: GGUF_* errors).
Result<TokenizerData> tokenizer_data_from_gguf(const gguf::GgufFile& file);

class Tokenizer {
 public:
  // Validates the data and builds lookup tables (hash maps for text -> id and merge ranks).
  static Result<std::unique_ptr<Tokenizer>> create(TokenizerData data);
  // Reads the `tokenizer.ggml.*` keys of a GGUF file (GGUF_* errors for missing/mistyped keys).
  static Result<std::unique_ptr<Tokenizer>> from_gguf(const gguf::GgufFile& file);

  // Text -> ids. add_special adds BOS/EOS as the vocabulary asks; parse_special turns the text of
  // control tokens into those tokens (user-defined tokens are always matched, as in llama.cpp).
  Result<std::vector<int32_t>> tokenize(std::string_view text, bool add_special, bool parse_special) const;

  // Bytes of one token; special=false renders control/unknown tokens as nothing. Bytes may be a
  // partial UTF-8 character (byte tokens).
  std::string_view piece(int32_t id, bool special) const;

  // llama_detokenize: concatenated pieces, leading space removed for add_space_prefix vocabularies,
  // BOS/EOS dropped when remove_special, then the vocabulary's clean-up rules.
  Result<std::string> detokenize(const int32_t* ids, size_t n, bool remove_special, bool unparse_special) const;

  size_t size() const { return tokens_.size(); }
  bool is_spm() const { return spm_; }
  std::string_view text(int32_t id) const { return texts_[static_cast<size_t>(id)]; }
  float score(int32_t id) const { return tokens_[id].score; }
  uint32_t attr(int32_t id) const { return tokens_[id].attr; }
  bool valid(int32_t id) const { return id >= 0 && static_cast<size_t>(id) < tokens_.size(); }
  bool is_eog(int32_t id) const { return eog_.count(id) > 0; }
  // End-of-generation ids, ascending.
  std::vector<int32_t> eog_ids() const {
    std::vector<int32_t> v(eog_.begin(), eog_.end());
    std::sort(v.begin(), v.end());
    return v;
  }
  int32_t bos() const { return bos_; }  // -1 when the vocabulary has none
  int32_t eos() const { return eos_; }
  int32_t eot() const { return eot_; }
  int32_t pad() const { return pad_; }
  const std::string& chat_template() const { return chat_template_; }
  bool add_bos() const { return add_bos_; }
  bool add_eos() const { return add_eos_; }
  bool add_space_prefix() const { return add_space_prefix_; }
  // Finds a token by its exact text; -1 if absent.
  int32_t find(std::string_view text) const;

 private:
  struct Token {  // the text is texts_[id]
    float score = 0.0f;
    uint32_t attr = kAttrNormal;
  };
  // A merge of two interned symbols; `result` is the interned concatenation.
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  struct Fragment {
    int32_t token;  // -1: raw text [off, off+len)
    size_t off, len;
  };

  Tokenizer() = default;
  Status init(TokenizerData& data);
  void init_specials(const TokenizerData& data);
  void init_merges(std::vector<std::string>& merges);
  int32_t intern(std::string_view s);

  struct BpeScratch;
  void init_special_trie();
  std::vector<size_t> specials_in(std::string_view text) const;
  std::vector<Fragment> partition(std::string_view text, bool parse_special) const;
  Status tokenize_spm(std::string_view text, std::vector<int32_t>& out) const;
  void tokenize_bpe(std::string_view text, std::vector<int32_t>& out) const;
  void bpe_word(const std::string& word, const std::string& raw, BpeScratch& scratch, std::vector<int32_t>& out) const;
  Result<int32_t> byte_token(uint8_t byte) const;
  std::string make_piece(int32_t id) const;
  void clean_spaces(std::string& s) const;

  bool spm_ = true;
  PreInfo pre_{};
  std::vector<Token> tokens_;
  // Token texts (ids below size()), then byte-level BPE symbols that are no token's text.
  StringTable texts_;
  StringTable pieces_;                                       // piece(id, special=true), not indexed
  std::vector<int32_t> specials_;                            // partition order: longest text first
  // Trie over the special texts, to find which specials occur in a text in one pass: root edges in
  // an array, deeper edges keyed by (node << 8 | byte); ends: ranks in specials_ ending at a node.
  std::array<int32_t, 256> trie_root_{};
  std::unordered_map<uint64_t, int32_t> trie_edges_;
  std::vector<std::vector<uint32_t>> trie_ends_;

  // Byte-level BPE: every string that appears in a merge or the vocabulary gets a symbol id, its id
  // in texts_ (a token's symbol is its token id).
  PairMap<Merge> merges_;                   // (left, right) symbols -> merge
  std::array<int32_t, 256> byte_symbol_{};  // symbol of each byte's GPT-2 character

  int32_t bos_ = -1, eos_ = -1, eot_ = -1, eom_ = -1, unk_ = -1, sep_ = -1, pad_ = -1;
  bool add_bos_ = false, add_eos_ = false, add_space_prefix_ = false, clean_spaces_ = false;
  std::unordered_set<int32_t> eog_;
  std::string chat_template_;
};

// Incremental detokenizer for generated tokens: concatenates token pieces (llama.cpp's
// token_to_piece) and only ever returns whole UTF-8 characters; an invalid sequence becomes
// U+FFFD once it can no longer complete.
class StreamDecoder {
 public:
  StreamDecoder(const Tokenizer& tok, bool special) : tok_(tok), special_(special) {}
  // Appends one token; returns the text that became complete (possibly empty).
  Result<std::string> push(int32_t id);
  // Returns what is left (an unfinished character becomes U+FFFD) and resets the decoder.
  std::string flush();

 private:
  const Tokenizer& tok_;
  bool special_;
  std::string pending_;  // bytes of an unfinished UTF-8 character
};

}  // namespace capibara::tokenizer
