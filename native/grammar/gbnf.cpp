#include "grammar/gbnf.h"

#include <algorithm>
#include <functional>
#include <unordered_map>

namespace capibara::grammar {

namespace {

constexpr uint32_t kMaxCodePoint = 0x10FFFF;
constexpr uint32_t kMaxRepeat = 4096;  // {m,n} bounds; larger ones would only blow up the rule set
constexpr uint32_t kUnbounded = UINT32_MAX;

bool is_word(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; }

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<Grammar> run() {
    space(true);
    while (ok() && i_ < s_.size()) {
      rule();
      space(true);
    }
    if (ok()) check_refs();
    if (ok()) flatten();
    if (ok()) check_left_recursion();
    if (!ok()) return err_;
    return std::move(g_);
  }

 private:
  bool ok() const { return err_.is_ok(); }
  char peek(size_t k = 0) const { return i_ + k < s_.size() ? s_[i_ + k] : '\0'; }
  bool eof() const { return i_ >= s_.size(); }

  void fail(const std::string& what) {
    if (!ok()) return;
    size_t line = 1, col = 1;
    for (size_t k = 0; k < i_ && k < s_.size(); ++k) {
      if (s_[k] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    err_ = Status(ErrorCode::GRAMMAR_INVALID, "grammar: " + what + " at line " + std::to_string(line) + ", column " + std::to_string(col));
  }

  // Blanks and comments; newlines only where the syntax allows them.
  void space(bool newlines) {
    while (!eof()) {
      const char c = peek();
      if (c == ' ' || c == '\t' || ((c == '\n' || c == '\r') && newlines)) {
        ++i_;
      } else if (c == '#') {
        while (!eof() && peek() != '\n') ++i_;
      } else {
        break;
      }
    }
  }

  std::string name() {
    const size_t b = i_;
    while (!eof() && is_word(peek())) ++i_;
    if (b == i_) fail("expected a rule name");
    return std::string(s_.substr(b, i_ - b));
  }

  uint32_t rule_id(const std::string& n) {
    auto it = ids_.find(n);
    if (it != ids_.end()) return it->second;
    const uint32_t id = static_cast<uint32_t>(bodies_.size());
    ids_.emplace(n, id);
    bodies_.emplace_back();
    names_.push_back(n);
    defined_.push_back(false);
    used_at_.push_back(i_);
    return id;
  }

  // A generated rule (group or repetition), named after the rule it serves.
  uint32_t new_rule(const std::string& parent) {
    const uint32_t id = static_cast<uint32_t>(bodies_.size());
    bodies_.emplace_back();
    names_.push_back(parent + "_" + std::to_string(id));
    defined_.push_back(true);
    used_at_.push_back(i_);
    return id;
  }

  void rule() {
    const std::string n = name();
    if (!ok()) return;
    space(false);
    if (s_.substr(i_, 3) != "::=") return fail("expected '::=' after rule name '" + n + "'");
    i_ += 3;
    space(true);
    const uint32_t id = rule_id(n);
    if (defined_[id]) return fail("rule '" + n + "' is defined twice");
    defined_[id] = true;
    std::vector<Elem> body;
    alternates(n, body, false);
    body.push_back({Op::End, 0});
    bodies_[id] = std::move(body);
    space(false);
    if (!eof() && peek() != '\n' && peek() != '\r') fail(std::string("unexpected '") + peek() + "'");
  }

  void alternates(const std::string& n, std::vector<Elem>& body, bool nested) {
    sequence(n, body, nested);
    while (ok() && peek() == '|') {
      ++i_;
      space(true);
      body.push_back({Op::Alt, 0});
      sequence(n, body, nested);
    }
  }

  // One code point of a literal or class: an escape or a UTF-8 character.
  uint32_t character() {
    if (eof()) {
      fail("unexpected end of grammar");
      return 0;
    }
    const unsigned char c = static_cast<unsigned char>(s_[i_]);
    if (c == '\\') {
      const char e = peek(1);
      i_ += 2;
      switch (e) {
        case 'n': return '\n';
        case 'r': return '\r';
        case 't': return '\t';
        case '\\': case '"': case '[': case ']': case '-': case '/': case '\'': return static_cast<uint32_t>(e);
        case 'x': return hex(2);
        case 'u': return hex(4);
        case 'U': return hex(8);
        default:
          i_ -= 2;
          fail(std::string("unknown escape '\\") + e + "'");
          return 0;
      }
    }
    const int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i_ + len > s_.size()) {
      fail("invalid UTF-8 in grammar");
      return 0;
    }
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s_[i_ + k]) & 0x3F);
    i_ += len;
    return cp;
  }

  uint32_t hex(int digits) {
    uint32_t v = 0;
    for (int k = 0; k < digits; ++k, ++i_) {
      const char h = peek();
      const int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
      if (d < 0) {
        fail("expected " + std::to_string(digits) + " hex digits in escape");
        return 0;
      }
      v = v * 16 + static_cast<uint32_t>(d);
    }
    if (v > kMaxCodePoint) fail("code point escape above U+10FFFF");
    return v;
  }

  uint32_t add_class(std::vector<std::pair<uint32_t, uint32_t>> r, bool negate) {
    std::sort(r.begin(), r.end());
    CharClass cc;
    for (const auto& x : r) {
      if (!cc.ranges.empty() && x.first <= cc.ranges.back().second + 1)
        cc.ranges.back().second = std::max(cc.ranges.back().second, x.second);
      else
        cc.ranges.push_back(x);
    }
    if (negate) {
      std::vector<std::pair<uint32_t, uint32_t>> inv;
      uint32_t next = 0;
      for (const auto& x : cc.ranges) {
        if (x.first > next) inv.emplace_back(next, x.first - 1);
        next = x.second + 1;
      }
      if (next <= kMaxCodePoint) inv.emplace_back(next, kMaxCodePoint);
      cc.ranges = std::move(inv);
    }
    for (const auto& x : cc.ranges)
      for (uint32_t cp = x.first; cp <= std::min<uint32_t>(x.second, 127); ++cp) cc.ascii[cp >> 6] |= 1ULL << (cp & 63);
    g_.classes.push_back(std::move(cc));
    return static_cast<uint32_t>(g_.classes.size() - 1);
  }

  uint32_t number() {
    uint64_t v = 0;
    const size_t b = i_;
    while (!eof() && peek() >= '0' && peek() <= '9') v = std::min<uint64_t>(v * 10 + static_cast<uint64_t>(peek() - '0'), 1u << 30), ++i_;
    if (b == i_) fail("expected a number in repetition");
    return static_cast<uint32_t>(v);
  }

  // Replaces the last atom body[atom..] by `min` copies and the optional rest (generated rules).
  void repeat(const std::string& n, std::vector<Elem>& body, size_t atom, uint32_t min, uint32_t max) {
    if (atom >= body.size()) return fail("repetition without an element before it");
    if (max != kUnbounded && max < min) return fail("repetition {m,n} with n < m");
    if (min > kMaxRepeat || (max != kUnbounded && max > kMaxRepeat))
      return fail("repetition bound above " + std::to_string(kMaxRepeat));
    Elem x = body[atom];
    if (body.size() - atom > 1) {  // a multi-character literal repeats as a whole
      const uint32_t w = new_rule(n);
      bodies_[w].assign(body.begin() + static_cast<std::ptrdiff_t>(atom), body.end());
      bodies_[w].push_back({Op::End, 0});
      x = {Op::Rule, w};
    }
    body.resize(atom);
    for (uint32_t k = 0; k < min; ++k) body.push_back(x);
    if (max == kUnbounded) {
      const uint32_t r = new_rule(n);  // r ::= x r |
      bodies_[r] = {x, {Op::Rule, r}, {Op::Alt, 0}, {Op::End, 0}};
      body.push_back({Op::Rule, r});
    } else if (max > min) {
      uint32_t prev = 0;  // opt_k ::= x opt_{k-1} |   with opt_1 ::= x |
      for (uint32_t k = 1; k <= max - min; ++k) {
        const uint32_t r = new_rule(n);
        if (k == 1)
          bodies_[r] = {x, {Op::Alt, 0}, {Op::End, 0}};
        else
          bodies_[r] = {x, {Op::Rule, prev}, {Op::Alt, 0}, {Op::End, 0}};
        prev = r;
      }
      body.push_back({Op::Rule, prev});
    }
  }

  void sequence(const std::string& n, std::vector<Elem>& body, bool nested) {
    size_t atom = SIZE_MAX;
    while (ok() && !eof()) {
      const char c = peek();
      const size_t start = body.size();
      if (c == '"') {
        ++i_;
        while (ok() && peek() != '"') {
          const uint32_t cp = character();
          body.push_back({Op::Class, add_class({{cp, cp}}, false)});
        }
        if (!ok()) return;
        ++i_;
        atom = start;
      } else if (c == '[') {
        ++i_;
        const bool neg = peek() == '^';
        if (neg) ++i_;
        std::vector<std::pair<uint32_t, uint32_t>> r;
        while (ok() && peek() != ']') {
          const uint32_t lo = character();
          uint32_t hi = lo;
          if (peek() == '-' && peek(1) != ']' && peek(1) != '\0') {
            ++i_;
            hi = character();
            if (hi < lo) fail("character range with its end before its start");
          }
          r.emplace_back(lo, hi);
        }
        if (!ok()) return;
        ++i_;
        body.push_back({Op::Class, add_class(std::move(r), neg)});
        atom = start;
      } else if (c == '.') {
        ++i_;
        body.push_back({Op::Class, add_class({{0, kMaxCodePoint}}, false)});
        atom = start;
      } else if (is_word(c)) {
        body.push_back({Op::Rule, rule_id(name())});
        atom = start;
      } else if (c == '(') {
        ++i_;
        space(true);
        const uint32_t sub = new_rule(n);
        std::vector<Elem> inner;
        alternates(n, inner, true);
        if (!ok()) return;
        if (peek() != ')') return fail("expected ')'");
        ++i_;
        inner.push_back({Op::End, 0});
        bodies_[sub] = std::move(inner);
        body.push_back({Op::Rule, sub});
        atom = start;
      } else if (c == '*' || c == '+' || c == '?') {
        ++i_;
        repeat(n, body, atom, c == '+' ? 1 : 0, c == '?' ? 1 : kUnbounded);
        atom = SIZE_MAX;
      } else if (c == '{') {
        ++i_;
        space(false);
        const uint32_t min = number();
        uint32_t max = min;
        space(false);
        if (peek() == ',') {
          ++i_;
          space(false);
          max = (peek() == '}') ? kUnbounded : number();
          space(false);
        }
        if (!ok()) return;
        if (peek() != '}') return fail("expected '}' closing a repetition");
        ++i_;
        repeat(n, body, atom, min, max);
        atom = SIZE_MAX;
      } else if (c == '<') {
        return fail("token references (<...>) are not supported");
      } else {
        break;  // '|', ')', end of line: the caller decides
      }
      space(nested);
    }
  }

  void check_refs() {
    for (size_t r = 0; r < bodies_.size(); ++r)
      if (!defined_[r]) {
        i_ = used_at_[r];
        return fail("undefined rule '" + names_[r] + "'");
      }
    auto it = ids_.find("root");
    if (it == ids_.end()) {
      i_ = 0;
      return fail("no 'root' rule");
    }
    g_.root = it->second;
  }

  void flatten() {
    for (size_t r = 0; r < bodies_.size(); ++r) {
      g_.rule_start.push_back(static_cast<uint32_t>(g_.elems.size()));
      g_.elems.insert(g_.elems.end(), bodies_[r].begin(), bodies_[r].end());
    }
    g_.rule_names = names_;
  }

  // Left recursion (a rule reaching itself before any character) would make expansion loop.
  void check_left_recursion() {
    const size_t n = bodies_.size();
    std::vector<bool> nullable(n, false);
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t r = 0; r < n; ++r) {
        if (nullable[r]) continue;
        bool alt_ok = true;
        for (const Elem& e : bodies_[r]) {
          if (e.op == Op::Alt || e.op == Op::End) {
            if (alt_ok) {
              nullable[r] = changed = true;
              break;
            }
            alt_ok = true;
          } else if (e.op == Op::Class || !nullable[e.arg]) {
            alt_ok = false;
          }
        }
      }
    }
    std::vector<std::vector<uint32_t>> first(n);  // rules that may start rule r
    for (size_t r = 0; r < n; ++r) {
      bool at_start = true;
      for (const Elem& e : bodies_[r]) {
        if (e.op == Op::Alt || e.op == Op::End) {
          at_start = true;
        } else if (at_start) {
          if (e.op == Op::Class) {
            at_start = false;
          } else {
            first[r].push_back(e.arg);
            at_start = nullable[e.arg];
          }
        }
      }
    }
    std::vector<uint8_t> mark(n, 0);  // 0 new, 1 on the DFS path, 2 done
    std::function<bool(uint32_t)> cyclic = [&](uint32_t r) {
      if (mark[r] == 1) return true;
      if (mark[r] == 2) return false;
      mark[r] = 1;
      for (uint32_t q : first[r])
        if (cyclic(q)) return true;
      mark[r] = 2;
      return false;
    };
    for (uint32_t r = 0; r < n; ++r)
      if (cyclic(r)) {
        i_ = used_at_[r];
        return fail("left recursion in rule '" + names_[r] + "'");
      }
  }

  std::string_view s_;
  size_t i_ = 0;
  Status err_;
  Grammar g_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<std::vector<Elem>> bodies_;
  std::vector<std::string> names_;
  std::vector<bool> defined_;
  std::vector<size_t> used_at_;
};

}  // namespace

Result<Grammar> parse_gbnf(std::string_view text) { return Parser(text).run(); }

}  // namespace capibara::grammar
