#include <cstring>

#include "harness.h"

namespace capitest {

int g_failures_in_case = 0;

std::vector<Case>& registry() {
  static std::vector<Case> r;
  return r;
}

void fail(const char* file, int line, const std::string& what) {
  if (g_failures_in_case < 5) std::printf("    %s:%d: %s\n", file, line, what.c_str());
  ++g_failures_in_case;
}

}  // namespace capitest

// Usage: capibara_native_tests [substring]  — runs the cases whose name contains substring.
int main(int argc, char** argv) {
  int passed = 0, failed = 0;
  for (const auto& c : capitest::registry()) {
    if (argc > 1 && !std::strstr(c.name, argv[1])) continue;
    capitest::g_failures_in_case = 0;
    c.fn();
    const bool ok = capitest::g_failures_in_case == 0;
    std::printf("%s %s\n", ok ? "ok  " : "FAIL", c.name);
    (ok ? passed : failed)++;
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
