// A grammar in llama.cpp's GBNF syntax, compiled to flat element sequences.
//
// Syntax accepted (llama.cpp grammars/README.md): `name ::= alternatives` rules (names of
// [a-zA-Z0-9_-]; the start rule is `root`), `|` alternatives, `( ... )` groups, "literal" strings,
// [character classes] with ranges and `^` negation, `.` (any character), postfix `*` `+` `?` `{m}`
// `{m,}` `{m,n}`, `#` comments, escapes \n \r \t \\ \" \[ \] \- \xHH \uHHHH \UHHHHHHHH. As in
// llama.cpp a newline ends a rule, except inside parentheses or right after `|`. Not supported:
// llama.cpp's token references `<[id]>` / `<name>` (a parse error names them).
//
// Compiled form: every rule is a run of elements in one flat array, its alternatives separated by
// Alt and closed by End. Repetitions become generated rules (right recursion, so the parser stack
// does not grow with the repeat count: see matcher.cpp's tail calls).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace capibara::grammar {

enum class Op : uint8_t { End, Alt, Rule, Class };

struct Elem {
  Op op;
  uint32_t arg;  // Rule: rule index; Class: class index
};

// A set of code points: sorted disjoint ranges (negation resolved at compile time), plus an ASCII
// bitmap for the common case.
struct CharClass {
  std::vector<std::pair<uint32_t, uint32_t>> ranges;  // inclusive
  uint64_t ascii[2] = {0, 0};
  bool contains(uint32_t cp) const {
    if (cp < 128) return (ascii[cp >> 6] >> (cp & 63)) & 1;
    for (const auto& r : ranges)
      if (cp >= r.first && cp <= r.second) return true;
    return false;
  }
  // True when some code point in [lo, hi] belongs to the class.
  bool intersects(uint32_t lo, uint32_t hi) const {
    for (const auto& r : ranges)
      if (r.first <= hi && lo <= r.second) return true;
    return false;
  }
};

struct Grammar {
  std::vector<Elem> elems;               // all rules, flat
  std::vector<uint32_t> rule_start;      // first element of each rule
  std::vector<std::string> rule_names;   // for messages; generated rules are named after their parent
  std::vector<CharClass> classes;
  uint32_t root = 0;
};

// Parses and checks a GBNF text: syntax, undefined rules, a missing `root`, left recursion (which
// would make the matcher loop). Errors are GRAMMAR_INVALID with the line and column.
Result<Grammar> parse_gbnf(std::string_view text);

}  // namespace capibara::grammar
