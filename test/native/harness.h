// Minimal native test harness (no framework download offline): CAPI_TEST registers a case,
// CHECK* record failures and keep going, main() prints one line per case and "N passed, M failed".
#pragma once
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace capitest {

struct Case {
  const char* name;
  void (*fn)();
};
std::vector<Case>& registry();
void fail(const char* file, int line, const std::string& what);

struct Registrar {
  Registrar(const char* name, void (*fn)()) { registry().push_back({name, fn}); }
};

}  // namespace capitest

#define CAPI_TEST(name)                                                \
  static void name();                                                  \
  static const capitest::Registrar capi_reg_##name(#name, &name);      \
  static void name()

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) capitest::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

// Fails with a message when |a - b| > tol; ctx names the case (e.g. "avx2 n=17").
#define CHECK_LE(a, b, ctx)                                                              \
  do {                                                                                   \
    const double capi_a = (a), capi_b = (b);                                             \
    if (!(capi_a <= capi_b))                                                             \
      capitest::fail(__FILE__, __LINE__,                                                 \
                     std::string(ctx) + ": " #a " = " + std::to_string(capi_a) + " > " + \
                         std::to_string(capi_b));                                        \
  } while (0)
