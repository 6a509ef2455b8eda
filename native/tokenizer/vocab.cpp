// Tokenizer construction: token table, attributes, special ids and defaults, merge ranks.
#include <algorithm>
#include <cctype>

#include "tokenizer/tokenizer.h"
#include "tokenizer/unicode.h"

namespace capibara::tokenizer {

namespace {

uint32_t attr_of_type(int32_t type) {
  switch (type) {
    case kTypeNormal: return kAttrNormal;
    case kTypeUnknown: return kAttrUnknown;
    case kTypeControl: return kAttrControl;
    case kTypeUserDefined: return kAttrUserDefined;
    case kTypeUnused: return kAttrUnused;
    case kTypeByte: return kAttrByte;
    default: return kAttrUndefined;
  }
}

// Token texts llama.cpp recognises when the file does not give the id; a recognised token becomes
// a control token. One list per role, in llama.cpp's order.
constexpr const char* kEotTexts[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
                                     "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<｜end▁of▁sentence｜>",
                                     "<end_of_utterance>", nullptr};
constexpr const char* kEomTexts[] = {"<|eom_id|>", nullptr};
constexpr const char* kFimPreTexts[] = {"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>",
                                        "▁<PRE>", "<|code_prefix|>", "<|prefix|>", nullptr};
constexpr const char* kFimSufTexts[] = {"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>",
                                        "▁<SUF>", "<|code_suffix|>", "<|suffix|>", nullptr};
constexpr const char* kFimMidTexts[] = {"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>",
                                        "▁<MID>", "<|code_middle|>", "<|middle|>", nullptr};
constexpr const char* kFimPadTexts[] = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]", nullptr};
constexpr const char* kFimRepTexts[] = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>", nullptr};
constexpr const char* kFimSepTexts[] = {"<|file_sep|>", nullptr};
// Texts of tokens that end generation.
constexpr const char* kEogTexts[] = {"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
                                     "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>",
                                     "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>", "<end_of_utterance>", "<eos>",
                                     "<turn|>", "<|tool_response>", "<｜end▁of▁sentence｜>", "[e~["};

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::create(TokenizerData data) {
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  Status st = t->init(data);
  if (!st) return st;
  return t;
}

int32_t Tokenizer::find(std::string_view text) const {
  const int32_t id = texts_.find(text);
  return static_cast<size_t>(id) < tokens_.size() ? id : -1;  // ids past the tokens are BPE-only symbols
}

Status Tokenizer::init(TokenizerData& data) {
  const auto fail = [](const std::string& m) { return Status(ErrorCode::TOKENIZER_ERROR, m); };
  if (data.model == "llama") {
    spm_ = true;
  } else if (data.model == "gpt2") {
    spm_ = false;
    // A missing pre means llama.cpp's "default" pre-tokenizer (pre_info maps "" to it).
    if (!pre_info(data.pre, &pre_))
      return fail("unsupported tokenizer.ggml.pre '" + data.pre + "' (supported: default, gpt2, llama-bpe/llama3, qwen2, command-r, gpt-4o and aliases)");
  } else {
    return fail("unsupported tokenizer.ggml.model '" + data.model + "' (supported: llama, gpt2)");
  }
  const size_t n = data.tokens.size();
  if (n == 0) return fail("tokenizer.ggml.tokens is empty");
  if (n > static_cast<size_t>(INT32_MAX)) return fail("too many tokens");
  if (!data.scores.empty() && data.scores.size() < n)
    return fail("tokenizer.ggml.scores has " + std::to_string(data.scores.size()) + " entries for " + std::to_string(n) + " tokens");
  if (!data.token_types.empty() && data.token_types.size() < n)
    return fail("tokenizer.ggml.token_type has " + std::to_string(data.token_types.size()) + " entries for " + std::to_string(n) + " tokens");
  if (!spm_ && data.merges.empty()) return fail("tokenizer.ggml.merges is missing for a gpt2 tokenizer");

  tokens_.resize(n);
  size_t text_bytes = 0;
  for (const std::string& t : data.tokens) text_bytes += t.size();
  texts_.reserve(n, text_bytes);
  for (size_t i = 0; i < n; ++i) {
    Token& t = tokens_[i];
    std::string& text = data.tokens[i];
    if (text.empty()) text = "[EMPTY_" + std::to_string(i) + "]";  // llama.cpp's placeholder
    texts_.add(text);  // a duplicated text maps to its last id, as in llama.cpp
    std::string().swap(text);  // free as we go: the copy and the table never peak together
    if (!data.scores.empty()) t.score = data.scores[i];
    if (!data.token_types.empty()) t.attr = attr_of_type(data.token_types[i]);
  }

  if (spm_) {
    bos_ = 1, eos_ = 2, unk_ = 0;
    add_bos_ = true, add_space_prefix_ = true;
  } else {
    bos_ = 11, eos_ = 11;
    add_bos_ = pre_.add_bos;
    clean_spaces_ = pre_.clean_spaces;
    init_merges(data.merges);
  }
  if (data.add_space_prefix) add_space_prefix_ = *data.add_space_prefix;
  chat_template_ = std::move(data.chat_template);
  init_specials(data);
  if (data.add_bos) add_bos_ = *data.add_bos;
  if (data.add_eos) add_eos_ = *data.add_eos;
  if (add_bos_ && bos_ < 0) return fail("the vocabulary asks for a BOS token but has no valid bos id");
  if (add_eos_ && eos_ < 0) return fail("the vocabulary asks for an EOS token but has no valid eos id");

  pieces_.reserve(n, text_bytes);
  for (size_t i = 0; i < n; ++i) pieces_.add(make_piece(static_cast<int32_t>(i)), false);
  return Status::ok();
}

void Tokenizer::init_specials(const TokenizerData& data) {
  const int32_t n = static_cast<int32_t>(tokens_.size());
  const auto set_id = [&](int32_t& id, const std::optional<int32_t>& v) {
    if (id >= n) id = -1;  // default out of range: disabled
    if (v && *v >= 0 && *v < n) id = *v;
  };
  set_id(bos_, data.bos_id);
  set_id(eos_, data.eos_id);
  set_id(eot_, data.eot_id);
  set_id(eom_, data.eom_id);
  set_id(unk_, data.unk_id);
  set_id(sep_, data.sep_id);
  set_id(pad_, data.pad_id);

  const auto mark_control = [&](int32_t id) { tokens_[id].attr |= kAttrControl; };
  int32_t fim_pre = -1, fim_suf = -1, fim_mid = -1, fim_pad = -1, fim_rep = -1, fim_sep = -1;
  const std::pair<int32_t*, const char* const*> roles[] = {
      {&eot_, kEotTexts},        {&eom_, kEomTexts},        {&fim_pre, kFimPreTexts}, {&fim_suf, kFimSufTexts},
      {&fim_mid, kFimMidTexts},  {&fim_pad, kFimPadTexts},  {&fim_rep, kFimRepTexts}, {&fim_sep, kFimSepTexts},
  };
  for (const auto& [id, texts] : roles) {
    for (const char* const* t = texts; *id < 0 && *t; ++t) {
      const int32_t found = find(*t);
      if (found >= 0) {
        *id = found;
        mark_control(found);
      }
    }
  }
  for (int32_t id = 0; id < n; ++id)
    if ((tokens_[id].attr & kAttrControl) && text(id).find("unused") != std::string_view::npos) tokens_[id].attr |= kAttrUnused;
  for (const char* t : kEogTexts) {
    const int32_t id = find(t);
    if (id >= 0) {
      eog_.insert(id);
      mark_control(id);
    }
  }
  for (int32_t id : {eos_, eot_, eom_, fim_pad, fim_rep, fim_sep})
    if (id >= 0) eog_.insert(id);
  // gpt-oss channel markers are always rendered (llama.cpp's workaround).
  for (const char* t : {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"}) {
    const int32_t id = find(t);
    if (id >= 0) tokens_[id].attr = kAttrUserDefined;
  }

  for (int32_t id = 0; id < n; ++id)
    if (tokens_[id].attr & (kAttrControl | kAttrUserDefined | kAttrUnknown)) specials_.push_back(id);
  // Same comparator and input order as llama.cpp (std::sort, not stable) so ties resolve alike.
  std::sort(specials_.begin(), specials_.end(),
            [&](int32_t a, int32_t b) { return text(a).size() > text(b).size(); });
  init_special_trie();

  // phi-3 GGUFs: special tokens swallow the whitespace that follows them.
  std::string name = data.model_name;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
    for (int32_t id : specials_) tokens_[id].attr |= kAttrRstrip;
    const auto set = [&](const char* t, bool on) {
      const int32_t id = find(t);
      if (id >= 0) tokens_[id].attr = on ? (tokens_[id].attr | kAttrRstrip) : (tokens_[id].attr & ~kAttrRstrip);
    };
    set("</s>", true);
    for (const char* t : {"<unk>", "<s>", "<|endoftext|>"}) set(t, false);
  }
}

void Tokenizer::init_special_trie() {
  trie_root_.fill(-1);
  trie_ends_.assign(1, {});  // node 0: the root (never an end: texts are not empty)
  for (uint32_t rank = 0; rank < specials_.size(); ++rank) {
    const std::string_view t = text(specials_[rank]);
    int32_t node = 0;
    for (size_t i = 0; i < t.size(); ++i) {
      const uint8_t c = static_cast<uint8_t>(t[i]);
      int32_t* slot = nullptr;
      if (i == 0) {
        slot = &trie_root_[c];
      } else {
        slot = &trie_edges_.try_emplace((static_cast<uint64_t>(node) << 8) | c, -1).first->second;
      }
      if (*slot < 0) {
        *slot = static_cast<int32_t>(trie_ends_.size());
        trie_ends_.emplace_back();
      }
      node = *slot;
    }
    trie_ends_[node].push_back(rank);
  }
}

int32_t Tokenizer::intern(std::string_view s) {
  const int32_t id = texts_.find(s);
  return id >= 0 ? id : texts_.add(s);
}

void Tokenizer::init_merges(std::vector<std::string>& merges) {
  for (int b = 0; b < 256; ++b) byte_symbol_[b] = intern(byte_to_bpe_char(static_cast<uint8_t>(b)));
  merges_ = PairMap<Merge>(merges.size());
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    std::string m;
    m.swap(merges[rank]);  // freed after use, like the token texts
    // llama.cpp splits at the first space after the first byte; a line without one never matches.
    const size_t sp = m.find(' ', 1);
    if (sp == std::string::npos) continue;
    const std::string_view left(m.data(), sp), right(m.data() + sp + 1, m.size() - sp - 1);
    const int32_t l = intern(left), r = intern(right);
    joined.assign(left);
    joined.append(right);
    const int32_t res = intern(joined);
    merges_.emplace(static_cast<uint32_t>(l), static_cast<uint32_t>(r), Merge{static_cast<int32_t>(rank), res});  // first rank wins, as in llama.cpp
  }
}

}  // namespace capibara::tokenizer
