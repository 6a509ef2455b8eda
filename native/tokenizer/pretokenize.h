// Pre-tokenizers of byte-level BPE vocabularies: split text into words before merging. Each is a
// hand-written scanner reproducing the split llama.cpp computes for the regex that
// `tokenizer.ggml.pre` names (its custom splitters, or std::regex over "collapsed" text where one
// byte stands for each Unicode class), so token ids match llama.cpp exactly, without std::regex.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace capibara::tokenizer {

enum class PreKind {
  Gpt2,      // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)
  Llama3,    // (?i:'s|...)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  Qwen2,     // as Llama3 with \p{N} (one digit per word)
  CommandR,  // \p{N} isolated first, then the Gpt2 regex on what is left
  Gpt4o,     // case-aware letter runs with contractions, \p{N}{1,3}, punctuation runs with [\r\n/]*
  Default,   // llama.cpp's fallback: [\p{P}$+<=>^~|]+, then Gpt2, then \p{N}+, then [0-9]{3}
};

// Behaviour llama.cpp attaches to a pre-tokenizer name.
struct PreInfo {
  PreKind kind;
  bool clean_spaces;   // detokenize removes spaces before punctuation / contractions
  bool ignore_merges;  // a word that is already a token is emitted whole
  bool add_bos;        // default for tokenizer.ggml.add_bos_token when the file has no value
};

// Looks up a `tokenizer.ggml.pre` value; false when capibara does not implement it.
bool pre_info(const std::string& name, PreInfo* out);

// Splits code points into words; returns the length (in code points) of each word, in order.
std::vector<size_t> pretokenize(PreKind kind, const std::vector<uint32_t>& cps);

}  // namespace capibara::tokenizer
