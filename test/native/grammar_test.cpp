// Grammar engine: GBNF parsing and errors, token matching over a small vocabulary (multi-byte
// tokens, tokens ending inside a UTF-8 character), full masks agreeing with per-token checks on
// every step of random walks, forced tokens, end of generation only at accept, dead ends.
#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "grammar/constrained.h"
#include "grammar/gbnf.h"
#include "grammar/matcher.h"
#include "harness.h"
#include "model/generator.h"

using namespace capibara;
using namespace capibara::grammar;

namespace {

// Every byte 0x20..0x7e as a token, some multi-character tokens, UTF-8 pieces (whole and split),
// an empty control token and an end-of-generation token (last id).
std::vector<std::string> toy_pieces() {
  std::vector<std::string> p;
  for (int c = 0x20; c < 0x7f; ++c) p.emplace_back(1, static_cast<char>(c));
  for (const char* s : {"{\"", "\":", "\",\"", "ab", "abc", "true", "false", "null", "12", "a}", "}\n", "\n",
                        "\xC3\xA9", "\xC3", "\xA9", "\xE4\xB8\xAD", "\xE4\xB8", "\xAD\"", "caf\xC3", "x\xA9", "\xFF"})
    p.emplace_back(s);
  p.emplace_back("");  // control token: never allowed
  p.emplace_back("");  // EOG
  return p;
}

std::shared_ptr<const CompiledGrammar> compile(const std::string& text, const std::vector<std::string>& pieces = toy_pieces()) {
  Result<Grammar> g = parse_gbnf(text);
  if (!g) {
    capitest::fail(__FILE__, __LINE__, "parse failed: " + g.status().message());
    return nullptr;
  }
  auto cg = std::make_shared<CompiledGrammar>();
  cg->grammar = g.take();
  cg->trie = std::make_shared<const TokenTrie>(pieces, std::vector<bool>(pieces.size(), false));
  cg->eog = {static_cast<int32_t>(pieces.size() - 1)};
  return cg;
}

int32_t id_of(const std::vector<std::string>& p, const std::string& s) {
  for (size_t i = 0; i + 2 < p.size(); ++i)
    if (p[i] == s) return static_cast<int32_t>(i);
  return -1;
}

// Accepts the text token by token (greedy longest pieces) and reports whether all were allowed.
bool accepts(Matcher& m, const std::vector<std::string>& p, const std::vector<std::string>& tokens) {
  for (const auto& t : tokens) {
    const int32_t id = id_of(p, t);
    if (id < 0 || !m.allows(id) || !m.accept(id)) return false;
  }
  return true;
}

// mask() bit == allows() for every token.
bool mask_agrees(Matcher& m) {
  const uint32_t* mask = m.mask();
  for (size_t t = 0; t < m.n_vocab(); ++t) {
    const bool bit = (mask[t >> 5] >> (t & 31)) & 1u;
    if (bit != m.allows(static_cast<int32_t>(t))) {
      capitest::fail(__FILE__, __LINE__, "mask and allows disagree on token " + std::to_string(t));
      return false;
    }
  }
  return true;
}

}  // namespace

CAPI_TEST(gbnf_errors_name_the_problem) {
  const auto err = [](const char* text) {
    Result<Grammar> g = parse_gbnf(text);
    CHECK(!g);
    CHECK(g.status().code() == ErrorCode::GRAMMAR_INVALID);
    return g.status().message();
  };
  CHECK(err("item ::= \"a\"").find("no 'root' rule") != std::string::npos);
  CHECK(err("root ::= item").find("undefined rule 'item'") != std::string::npos);
  CHECK(err("root ::= root \"a\" | \"b\"").find("left recursion") != std::string::npos);
  CHECK(err("root ::= x\nx ::= y? x \"a\"\ny ::= \"b\"").find("left recursion") != std::string::npos);
  CHECK(err("root ::= \"a\nroot2 ::= \"b\"").find("line") != std::string::npos);
  CHECK(err("root ::= [a-").find("end of grammar") != std::string::npos);
  CHECK(err("root ::= \"a\"{3,2}").find("n < m") != std::string::npos);
  CHECK(err("root ::= <[12]>").find("token references") != std::string::npos);
  CHECK(err("root ::= \"a\"\nroot ::= \"b\"").find("defined twice") != std::string::npos);
  CHECK(err("root := \"a\"").find("'::='") != std::string::npos);
}

CAPI_TEST(gbnf_parses_llama_cpp_syntax) {
  const char* text =
      "# comment\n"
      "root   ::= object\n"
      "object ::= \"{\" ws ( string \":\" ws value ( \",\" ws string \":\" ws value )* )? \"}\"\n"
      "value  ::= object | string | \"true\" | \"false\" | \"null\" | [0-9]+\n"
      "string ::= \"\\\"\" ( [^\"\\\\\\x00-\\x1f] | \"\\\\\" [\"\\\\/bfnrt] )* \"\\\"\"  # trailing comment\n"
      "ws     ::= | \" \" | \"\\n\" [ \\t]{0,20}\n";
  Result<Grammar> g = parse_gbnf(text);
  CHECK(g.is_ok());
  if (!g) std::printf("    %s\n", g.status().message().c_str());
}

CAPI_TEST(matcher_accepts_and_rejects_tokens) {
  const auto p = toy_pieces();
  auto cg = compile("root ::= \"{\" [a-c]+ \"}\"");
  Matcher m(cg);
  CHECK(m.allows(id_of(p, "{")));
  CHECK(!m.allows(id_of(p, "a")));
  CHECK(!m.allows(id_of(p, "{\"")));
  CHECK(!m.allows(static_cast<int32_t>(p.size() - 1)));  // EOG before accept
  CHECK(!m.allows(static_cast<int32_t>(p.size() - 2)));  // control token
  CHECK(accepts(m, p, {"{", "abc", "ab"}));
  CHECK(!m.accepting());
  CHECK(m.allows(id_of(p, "a}")));
  CHECK(!m.accept(id_of(p, "x")));
  CHECK(m.accept(id_of(p, "}")));
  CHECK(m.accepting());
  CHECK(m.complete());
  CHECK(m.allows(static_cast<int32_t>(p.size() - 1)));  // EOG at accept
  CHECK(!m.allows(id_of(p, "a")));
}

CAPI_TEST(matcher_handles_utf8_split_across_tokens) {
  const auto p = toy_pieces();
  {
    Matcher m(compile("root ::= \"caf\xC3\xA9\" \"!\""));
    CHECK(accepts(m, p, {"caf\xC3", "\xA9", "!"}));
    CHECK(m.accepting());
  }
  {
    Matcher m(compile("root ::= [^x]* \"\\\"\""));  // any character but x, then a quote
    CHECK(m.allows(id_of(p, "\xE4\xB8")));             // an unfinished character that may still match
    CHECK(accepts(m, p, {"\xE4\xB8", "\xAD\""}));
    CHECK(m.accepting());
    CHECK(mask_agrees(m));
  }
  {
    Matcher m(compile("root ::= [a-z] \"\xC3\xA9\""));  // é only after one letter
    CHECK(!m.allows(id_of(p, "x\xA9")));                 // a continuation byte after ASCII: invalid UTF-8
    CHECK(!m.allows(id_of(p, "\xFF")));
    CHECK(accepts(m, p, {"a", "\xC3"}));
    CHECK(!m.allows(id_of(p, "a")));  // inside a character only its continuation may follow
    CHECK(m.allows(id_of(p, "\xA9")));
    CHECK(mask_agrees(m));
  }
  {
    Matcher m(compile("root ::= [\\u4e00-\\u4e2c]"));  // 中 is U+4E2D, just outside
    CHECK(!m.allows(id_of(p, "\xE4\xB8\xAD")));
    CHECK(m.allows(id_of(p, "\xE4\xB8")));            // U+4E00.. still possible after these two bytes
    CHECK(mask_agrees(m));
  }
}

CAPI_TEST(matcher_repetition_bounds) {
  const auto p = toy_pieces();
  Matcher m(compile("root ::= \"a\"{2,3} \"b\""));
  CHECK(!m.allows(id_of(p, "ab")));
  CHECK(accepts(m, p, {"a", "a"}));
  CHECK(m.allows(id_of(p, "ab")));
  CHECK(accepts(m, p, {"a"}));
  CHECK(!m.allows(id_of(p, "a")));
  CHECK(accepts(m, p, {"b"}));
  CHECK(m.accepting());
}

// On random walks through several grammars, the full mask equals the per-token check at every step.
CAPI_TEST(matcher_mask_agrees_with_checks_on_random_walks) {
  const auto p = toy_pieces();
  const char* grammars[] = {
      "root ::= \"{\" ( str \":\" val ( \",\" str \":\" val )* )? \"}\"\nval ::= str | \"true\" | \"false\" | \"null\" | [0-9]+ | root\n"
      "str ::= \"\\\"\" [^\"\\\\]* \"\\\"\"",
      "root ::= ( [a-c]{1,3} \"\\n\" )+",
      "root ::= .* \"}\"",
      "root ::= (\"ab\" | \"abc\" | \"a\" [^a])*",
      "root ::= \"{\\\"\" [^\"]{0,5} \"\\\"\" ( \":\" [0-9]{1,2} )? \"}\"",  // bounded runs (maxLength)
  };
  std::mt19937 rng(7);
  for (const char* text : grammars) {
    auto cg = compile(text);
    for (int walk = 0; walk < 8; ++walk) {
      Matcher m(cg);
      for (int stepi = 0; stepi < 24; ++stepi) {
        if (!mask_agrees(m)) return;
        std::vector<int32_t> ok;
        for (size_t t = 0; t + 1 < p.size(); ++t)
          if (m.allows(static_cast<int32_t>(t))) ok.push_back(static_cast<int32_t>(t));
        if (ok.empty()) break;
        CHECK(m.accept(ok[rng() % ok.size()]).is_ok());
      }
    }
  }
}

CAPI_TEST(matcher_forces_the_only_continuation) {
  const auto p = toy_pieces();
  Matcher m(compile("root ::= \"{\\\"ab\\\":\" [0-9] \"}\""));
  const auto f = m.forced(16);
  // The longest vocabulary entries inside the forced text {"ab":
  CHECK(f.size() == 3);
  if (f.size() == 3) {
    CHECK(p[f[0]] == "{\"");
    CHECK(p[f[1]] == "ab");
    CHECK(p[f[2]] == "\":");
  }
  CHECK(m.forced(1).size() == 1);
  for (int32_t t : f) CHECK(m.accept(t).is_ok());
  CHECK(m.forced(16).empty());  // a digit is a choice
}

CAPI_TEST(constrained_sampler_masks_and_reports_dead_ends) {
  auto p = toy_pieces();
  const int64_t n = static_cast<int64_t>(p.size());
  model::SamplerParams sp;
  sp.temperature = 0.0f;
  {
    ConstrainedSampler cs(compile("root ::= \"true\" | \"false\""));
    model::Sampler s(sp, n);
    std::vector<float> logits(static_cast<size_t>(n), 0.0f);
    logits[static_cast<size_t>(id_of(p, "a"))] = 5.0f;      // the model prefers a rejected token
    logits[static_cast<size_t>(id_of(p, "false"))] = 1.0f;
    Result<int32_t> r = cs.sample(s, logits.data(), n, 100);
    CHECK(r.is_ok() && r.value() == id_of(p, "false"));
    CHECK(cs.masks_computed() == 1);
    CHECK(cs.accept(r.value()).is_ok());
    CHECK(cs.complete());
  }
  {
    ConstrainedSampler cs(compile("root ::= \"~\" \"\\u0800\""));  // no token starts U+0800
    model::Sampler s(sp, n);
    std::vector<float> logits(static_cast<size_t>(n), 0.0f);
    Result<int32_t> r = cs.sample(s, logits.data(), n, 100);
    CHECK(r.is_ok() && r.value() == id_of(p, "~"));
    CHECK(cs.accept(r.value()).is_ok());
    r = cs.sample(s, logits.data(), n, 100);
    CHECK(!r);
    CHECK(r.status().code() == ErrorCode::GRAMMAR_DEAD_END);
  }
}

// A byte-fallback vocabulary can spell overlong forms and surrogates; they are not characters.
CAPI_TEST(matcher_rejects_malformed_utf8) {
  std::vector<std::string> p;
  for (int b = 0; b < 256; ++b) p.emplace_back(1, static_cast<char>(b));  // byte tokens only
  p.emplace_back("\xF0\x80\x81\xBB");  // overlong '{'
  p.emplace_back("\xED\xA0\x80");      // a surrogate
  p.emplace_back("\xE0");              // lead byte of a 3-byte character: U+0800 and up only
  p.emplace_back("");
  auto cg = compile("root ::= [{\\u0000-\\u00ff] \"}\"", p);
  Matcher m(cg);
  CHECK(m.allows('{'));
  CHECK(!m.allows(256));
  CHECK(!m.allows(257));
  CHECK(!m.allows(258));  // nothing the class allows starts with E0
  CHECK(m.accept(0xF0).is_ok() == false);
  CHECK(mask_agrees(m));
  Matcher any(compile("root ::= [^a]", p));
  CHECK(!any.allows(256) && !any.allows(257));
  CHECK(any.allows(258));
  CHECK(any.accept(0xE0).is_ok());
  CHECK(!any.allows(0x80));  // E0 must be followed by A0..BF
  CHECK(any.allows(0xA0));
  CHECK(mask_agrees(any));
}

// With the token budget as short as the shortest completion, only tokens towards the end remain.
CAPI_TEST(constrained_sampler_closes_within_the_budget) {
  const auto p = toy_pieces();
  const int64_t n = static_cast<int64_t>(p.size());
  auto cg = compile("root ::= \"{\\\"\" [a-c]+ \"\\\":\" [0-9]+ \"}\"");
  Matcher m(cg);
  CHECK(m.distance() == 7);  // {"a":0}
  CHECK(accepts(m, p, {"{\"", "ab"}));
  CHECK(m.distance() == 4);  // ":0}
  const uint32_t* close = m.closing_mask();
  for (int32_t t = 0; t < n; ++t) {
    const bool bit = (close[t >> 5] >> (t & 31)) & 1u;
    CHECK(bit == (p[t] == "\"" || p[t] == "\":"));  // not "a": it keeps the distance
  }
  model::SamplerParams sp;
  sp.temperature = 0.0f;
  ConstrainedSampler cs(cg);
  model::Sampler s(sp, n);
  int64_t budget = 8;  // {"  then what the model likes ("a") until the budget forces the end
  std::string out;
  for (; budget > 0 && !cs.complete(); --budget) {
    std::vector<float> logits(static_cast<size_t>(n), 0.0f);
    logits[static_cast<size_t>(id_of(p, "a"))] = 3.0f;
    logits[static_cast<size_t>(id_of(p, "{\""))] = 2.0f;
    logits[static_cast<size_t>(id_of(p, "1"))] = 2.0f;
    Result<int32_t> r = cs.sample(s, logits.data(), n, budget);
    CHECK(r.is_ok());
    if (!r) return;
    CHECK(cs.accept(r.value()).is_ok());
    out += p[static_cast<size_t>(r.value())];
  }
  CHECK(cs.complete());
  CHECK(out.size() >= 7 && out.substr(out.size() - 1) == "}");
}

// A lazy sampler samples freely until the trigger appears (across tokens, or as a trigger token
// without bytes of its own), then the grammar reads the output from the trigger on.
CAPI_TEST(constrained_sampler_lazy_trigger) {
  const auto p = toy_pieces();
  const int64_t n = static_cast<int64_t>(p.size());
  const int32_t control = static_cast<int32_t>(p.size() - 2);
  model::SamplerParams sp;
  sp.temperature = 0.0f;
  auto cg = compile("root ::= \"abc\" \"12\"");
  const auto pick = [&](ConstrainedSampler& cs, model::Sampler& s, const std::string& wanted) {
    std::vector<float> logits(static_cast<size_t>(n), 0.0f);
    logits[static_cast<size_t>(id_of(p, "12"))] = 1.0f;    // the best the grammar allows after "abc"
    logits[static_cast<size_t>(id_of(p, wanted))] = 5.0f;  // the model's favourite
    Result<int32_t> r = cs.sample(s, logits.data(), n, 100);
    CHECK(r.is_ok());
    if (!r) return std::string();
    CHECK(cs.accept(r.value()).is_ok());
    return p[static_cast<size_t>(r.value())];
  };
  {
    ConstrainedSampler cs(cg, Trigger{"abc", {}});
    model::Sampler s(sp, n);
    CHECK(pick(cs, s, "x") == "x");  // free: the grammar would reject it
    CHECK(pick(cs, s, "ab") == "ab");
    CHECK(cs.forced(4).empty() && !cs.complete());
    CHECK(pick(cs, s, "c") == "c");  // "abc" is complete across tokens: constrained from here
    CHECK(pick(cs, s, "x") == "12");
    CHECK(cs.complete());
  }
  {
    ConstrainedSampler cs(cg, Trigger{"abc", {control}});
    model::Sampler s(sp, n);
    CHECK(cs.accept(control).is_ok());  // the trigger token stands for the trigger text
    CHECK(pick(cs, s, "x") == "12");
    CHECK(cs.complete());
  }
  {
    ConstrainedSampler cs(cg, Trigger{"ab", {}});
    model::Sampler s(sp, n);
    CHECK(pick(cs, s, "ab") == "ab");
    CHECK(pick(cs, s, "x") == "c");  // the grammar took over from the trigger on
  }
}

CAPI_TEST(generator_emits_forced_continuations_as_one_step) {
  const auto p = toy_pieces();
  const int64_t n = static_cast<int64_t>(p.size());
  model::GenerateParams gp;
  gp.sampler.temperature = 0.0f;
  gp.max_tokens = 16;
  gp.grammar = compile("root ::= \"x\" \"{\\\"ab\\\":\" [0-9]");
  model::Generator g(gp, n, {0});
  g.started(0);
  std::vector<float> logits(static_cast<size_t>(n), 0.0f);
  logits[static_cast<size_t>(id_of(p, "x"))] = 5.0f;
  // The sampled token, then the forced {"ab": in the longest vocabulary pieces: one span to evaluate.
  const std::vector<int32_t> first = g.next(logits.data(), 1, 100);
  CHECK(first.size() == 4);
  if (first.size() == 4) {
    CHECK(p[first[0]] == "x");
    CHECK(p[first[1]] == "{\"");
    CHECK(p[first[3]] == "\":");
  }
  CHECK(!g.done());
  std::fill(logits.begin(), logits.end(), 0.0f);
  logits[static_cast<size_t>(id_of(p, "a"))] = 5.0f;  // rejected: the mask leaves the digits
  logits[static_cast<size_t>(id_of(p, "7"))] = 1.0f;
  const std::vector<int32_t> second = g.next(logits.data(), 5, 100);
  CHECK(second.size() == 1 && p[second[0]] == "7");
  CHECK(g.reason() == model::StopReason::Eos);  // the grammar is complete
  CHECK(g.stats().generated == 5);
}

CAPI_TEST(generator_reports_a_grammar_dead_end_as_an_error) {
  const auto p = toy_pieces();
  model::GenerateParams gp;
  gp.sampler.temperature = 0.0f;
  gp.grammar = compile("root ::= \"~\" \"\\u0800\"");  // no token starts U+0800
  model::Generator g(gp, static_cast<int64_t>(p.size()), {0});
  std::vector<float> logits(p.size(), 0.0f);
  g.next(logits.data(), 1, 100);  // "~" is forced or sampled; then nothing may follow
  g.next(logits.data(), 2, 100);
  CHECK(g.reason() == model::StopReason::Error);
  CHECK(g.error().code() == ErrorCode::GRAMMAR_DEAD_END);
}
