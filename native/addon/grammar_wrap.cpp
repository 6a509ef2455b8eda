// Grammar glue: a vocabulary trie per tokenizer (built on the libuv pool), grammars compiled against
// it, and a matcher handle for stepping a grammar from JS (tests, bench). Generation takes the
// compiled grammar through its params (token_stream.cpp).
#include <time.h>

#include <memory>

#include "addon/convert.h"
#include "addon/modules.h"
#include "addon/promise_worker.h"
#include "grammar/matcher.h"
#include "tokenizer/tokenizer.h"

namespace capibara::addon {

namespace {

using grammar::CompiledGrammar;
using grammar::Matcher;
using grammar::TokenTrie;

constexpr napi_type_tag kVocabTag = {0x6361706962617261ULL, 0x6772766f63616231ULL};
constexpr napi_type_tag kGrammarTag = {0x6361706962617261ULL, 0x6772616d6d617231ULL};
constexpr napi_type_tag kMatcherTag = {0x6361706962617261ULL, 0x67726d6174636831ULL};

struct Vocab {
  std::shared_ptr<const TokenTrie> trie;
  std::vector<int32_t> eog;
};

template <typename T>
Napi::External<std::shared_ptr<T>> wrap(Napi::Env env, std::shared_ptr<T> p, const napi_type_tag* tag) {
  auto ext = Napi::External<std::shared_ptr<T>>::New(env, new std::shared_ptr<T>(std::move(p)),
                                                    [](Napi::Env, std::shared_ptr<T>* q) { delete q; });
  ext.TypeTag(tag);
  return ext;
}

template <typename T>
const std::shared_ptr<T>& unwrap(Napi::Env env, Napi::Value v, const napi_type_tag* tag, const char* what) {
  if (!v.IsExternal() || !v.As<Napi::External<std::shared_ptr<T>>>().CheckTypeTag(tag))
    throw_invalid(env, std::string("expected a ") + what + " handle");
  return *v.As<Napi::External<std::shared_ptr<T>>>().Data();
}

Matcher& arg_matcher(const Napi::CallbackInfo& info) {
  return *unwrap<Matcher>(info.Env(), info.Length() ? info[0] : info.Env().Undefined(), &kMatcherTag, "grammar matcher");
}

// vocabulary(tokenizer) -> Promise<vocab>: the pieces are copied here, the trie is built off-thread.
Napi::Value vocabulary(const Napi::CallbackInfo& info) {
  const tokenizer::Tokenizer& t = arg_tokenizer(info, 0);
  auto pieces = std::make_shared<std::vector<std::string>>(t.size());
  auto fallback = std::make_shared<std::vector<bool>>(t.size());
  for (size_t id = 0; id < t.size(); ++id) {
    const int32_t i = static_cast<int32_t>(id);
    if (!t.is_eog(i) && !(t.attr(i) & (tokenizer::kAttrControl | tokenizer::kAttrUnknown | tokenizer::kAttrUnused)))
      (*pieces)[id] = std::string(t.piece(i, false));
    (*fallback)[id] = (t.attr(i) & tokenizer::kAttrByte) != 0;
  }
  std::vector<int32_t> eog = t.eog_ids();
  return PromiseWorker<std::shared_ptr<Vocab>>::run(
      info.Env(), "capibara.grammarVocabulary",
      [pieces, fallback, eog]() -> Result<std::shared_ptr<Vocab>> {
        auto v = std::make_shared<Vocab>();
        v->trie = std::make_shared<const TokenTrie>(*pieces, *fallback);
        // Pre-build the loop index every JSON grammar uses: inside a string, any character but
        // '"', '\\' and controls (lib/grammar/json-schema.ts `char`), so no request pays for it.
        uint64_t in_string[2] = {~0ULL << 32, ~0ULL};
        in_string[0] &= ~(1ULL << '"');
        in_string[1] &= ~(1ULL << ('\\' - 64));
        v->trie->loop_index(in_string, true);
        v->eog = eog;
        return v;
      },
      [](Napi::Env env, std::shared_ptr<Vocab>& v) -> Napi::Value { return wrap(env, v, &kVocabTag); });
}

// check(gbnf): parse only, so bad input is reported before any generation is queued.
Napi::Value check(const Napi::CallbackInfo& info) {
  Result<grammar::Grammar> g = grammar::parse_gbnf(arg_string(info, 0, "grammar"));
  if (!g) throw_status(info.Env(), g.status());
  return info.Env().Undefined();
}

// compile(vocab, gbnf) -> grammar (GRAMMAR_INVALID naming the problem).
Napi::Value compile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Vocab& v = *unwrap<Vocab>(env, info.Length() ? info[0] : env.Undefined(), &kVocabTag, "grammar vocabulary");
  Result<grammar::Grammar> g = grammar::parse_gbnf(arg_string(info, 1, "grammar"));
  if (!g) throw_status(env, g.status());
  auto cg = std::make_shared<CompiledGrammar>();
  cg->grammar = g.take();
  cg->trie = v.trie;
  cg->eog = v.eog;
  return wrap<const CompiledGrammar>(env, std::move(cg), &kGrammarTag);
}

Napi::Value matcher(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto m = std::make_shared<Matcher>(compiled_grammar(env, info.Length() ? info[0] : env.Undefined()));
  return wrap(env, std::move(m), &kMatcherTag);
}

int32_t arg_vocab_token(const Napi::CallbackInfo& info) { return static_cast<int32_t>(arg_int(info, 1, "token")); }

Napi::Value matcher_allows(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), arg_matcher(info).allows(arg_vocab_token(info)));
}

Napi::Value matcher_accept(const Napi::CallbackInfo& info) {
  const Status st = arg_matcher(info).accept(arg_vocab_token(info));
  if (!st) throw_status(info.Env(), st);
  return info.Env().Undefined();
}

// matcherMask(m, out: Uint32Array of ceil(n_vocab / 32) words) -> allowed token count
Napi::Value matcher_mask(const Napi::CallbackInfo& info) {
  Matcher& m = arg_matcher(info);
  if (info.Length() < 2 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
    throw_invalid(info.Env(), "matcherMask: out must be a Uint32Array");
  Napi::Uint32Array out = info[1].As<Napi::Uint32Array>();
  const uint32_t* mask = m.mask();
  const size_t words = out.ElementLength();
  if (words != (m.n_vocab() + 31) / 32) throw_invalid(info.Env(), "matcherMask: out must hold ceil(vocabulary size / 32) words");
  double count = 0;
  for (size_t i = 0; i < words; ++i) count += __builtin_popcount(out[i] = mask[i]);
  return Napi::Number::New(info.Env(), count);
}

Napi::Value matcher_forced(const Napi::CallbackInfo& info) {
  const std::vector<int32_t> f = arg_matcher(info).forced(static_cast<size_t>(arg_int(info, 1, "max")));
  Napi::Int32Array a = Napi::Int32Array::New(info.Env(), f.size());
  std::copy(f.begin(), f.end(), a.Data());
  return a;
}

// matcherTimedWalk(m, tokens, fullMask) -> Float64Array of thread CPU nanoseconds per token for
// (full mask when fullMask, else check) + accept + forced-text lookup: the bench's measurement,
// taken here so N-API calls and preemption by other processes stay out of it.
Napi::Value matcher_timed_walk(const Napi::CallbackInfo& info) {
  Matcher& m = arg_matcher(info);
  if (info.Length() < 3 || !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array || !info[2].IsBoolean())
    throw_invalid(info.Env(), "matcherTimedWalk(matcher, tokens: Int32Array, fullMask: boolean)");
  Napi::Int32Array toks = info[1].As<Napi::Int32Array>();
  const bool full = info[2].As<Napi::Boolean>().Value();
  Napi::Float64Array out = Napi::Float64Array::New(info.Env(), toks.ElementLength());
  const auto now = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
  };
  for (size_t i = 0; i < toks.ElementLength(); ++i) {
    const double t0 = now();
    if (full) {
      m.mask();
    } else if (!m.allows(toks[i])) {
      throw_status(info.Env(), Status(ErrorCode::GRAMMAR_DEAD_END, "token " + std::to_string(toks[i]) + " rejected"));
    }
    const Status st = m.accept(toks[i]);
    m.forced(0);
    out[i] = now() - t0;
    if (!st) throw_status(info.Env(), st);
  }
  return out;
}

Napi::Value matcher_state(const Napi::CallbackInfo& info) {
  Matcher& m = arg_matcher(info);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("accepting", m.accepting());
  o.Set("complete", m.complete());
  return o;
}

}  // namespace

std::shared_ptr<const CompiledGrammar> compiled_grammar(Napi::Env env, Napi::Value v) {
  return unwrap<const CompiledGrammar>(env, v, &kGrammarTag, "compiled grammar");
}

void init_grammar(Napi::Env env, Napi::Object exports) {
  Napi::Object g = Napi::Object::New(env);
  g.Set("check", Napi::Function::New(env, check, "check"));
  g.Set("vocabulary", Napi::Function::New(env, vocabulary, "vocabulary"));
  g.Set("compile", Napi::Function::New(env, compile, "compile"));
  g.Set("matcher", Napi::Function::New(env, matcher, "matcher"));
  g.Set("matcherAllows", Napi::Function::New(env, matcher_allows, "matcherAllows"));
  g.Set("matcherAccept", Napi::Function::New(env, matcher_accept, "matcherAccept"));
  g.Set("matcherMask", Napi::Function::New(env, matcher_mask, "matcherMask"));
  g.Set("matcherForced", Napi::Function::New(env, matcher_forced, "matcherForced"));
  g.Set("matcherTimedWalk", Napi::Function::New(env, matcher_timed_walk, "matcherTimedWalk"));
  g.Set("matcherState", Napi::Function::New(env, matcher_state, "matcherState"));
  exports.Set("grammar", g);
}

}  // namespace capibara::addon
