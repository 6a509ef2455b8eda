// GGUF reader fuzz driver: mutates valid seed files (written by the TS GgufWriter, see
// scripts/fuzz-gguf.mjs) and parses each mutant in-process from an exact-size buffer. Built with
// -fsanitize=address,undefined by the script; any sanitizer report or broken invariant fails the run
// and the offending input is saved.
//
// usage: gguf_fuzz [--iterations N] [--seed S] [--crash-dir DIR] seed.gguf...
//        (no seed files: the built-in samples from gguf_builder.h)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>

#include "gguf_builder.h"
#include "gguf_mutator.h"

namespace {

std::vector<uint8_t> g_current;  // the mutant being parsed, saved if the process dies
std::string g_crash_path = "gguf-fuzz-crash.gguf";

void save_current() {
  std::ofstream out(g_crash_path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(g_current.data()), static_cast<std::streamsize>(g_current.size()));
  std::fprintf(stderr, "gguf_fuzz: input saved to %s\n", g_crash_path.c_str());
}

std::vector<uint8_t> read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

#if defined(__SANITIZE_ADDRESS__)
extern "C" void __sanitizer_set_death_callback(void (*callback)(void));
#endif

int main(int argc, char** argv) {
  uint64_t iterations = 100000, seed = 1;
  std::string crash_dir = ".";
  std::vector<std::vector<uint8_t>> seeds;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc) iterations = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--seed" && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--crash-dir" && i + 1 < argc) crash_dir = argv[++i];
    else seeds.push_back(read_file(argv[i]));
  }
  if (seeds.empty()) seeds = {capifuzz::sample_gguf(), capifuzz::sample_gguf(2, 64)};
  g_crash_path = crash_dir + "/gguf-fuzz-crash-seed" + std::to_string(seed) + ".gguf";
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_set_death_callback(save_current);
#endif

  std::vector<uint64_t> header_end;
  for (size_t k = 0; k < seeds.size(); ++k) {
    auto r = capibara::gguf::GgufFile::from_buffer(seeds[k].data(), seeds[k].size());
    if (!r) {
      std::fprintf(stderr, "gguf_fuzz: seed %zu is not valid: %s\n", k, r.status().message().c_str());
      return 2;
    }
    header_end.push_back(r.value()->data_offset());
  }

  capifuzz::Mutator mutator(seed);
  std::map<std::string, uint64_t> outcomes;
  uint64_t checksum = 0;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < iterations; ++i) {
    const size_t k = static_cast<size_t>(i % seeds.size());
    g_current = mutator.mutate(seeds[k], header_end[k]);
    std::string why;
    const char* code = capifuzz::fuzz_one(g_current, &checksum, &why);
    if (!code) {
      std::fprintf(stderr, "gguf_fuzz: iteration %llu: %s\n", static_cast<unsigned long long>(i), why.c_str());
      save_current();
      return 1;
    }
    ++outcomes[code];
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("gguf_fuzz: %llu iterations over %zu seeds in %.2f s (%.0f/s), seed %llu, no crash\n",
              static_cast<unsigned long long>(iterations), seeds.size(), secs, iterations / secs,
              static_cast<unsigned long long>(seed));
  for (const auto& [code, n] : outcomes) std::printf("  %-28s %llu\n", code.c_str(), static_cast<unsigned long long>(n));
  std::printf("  (checksum %llu)\n", static_cast<unsigned long long>(checksum));
  return 0;
}
