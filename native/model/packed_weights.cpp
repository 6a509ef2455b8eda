#include "model/packed_weights.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <system_error>
#include <thread>
#include <vector>

#include "gguf/reader.h"
#include "kernels/kernels.h"

namespace capibara::model {

namespace {

constexpr size_t kHugePage = size_t{2} << 20;

struct Job {
  Tensor* t;
  size_t offset;  // in the packed mapping
  size_t bytes;
};

}  // namespace

Result<std::unique_ptr<PackedWeights>> PackedWeights::pack(Weights& w, const gguf::GgufFile& file, const Kernels& k) {
  std::vector<Tensor*> tensors;
  for (LayerWeights& l : w.layers)
    for (Tensor* t : {&l.wq, &l.wk, &l.wv, &l.wqkv, &l.wo, &l.ffn_gate, &l.ffn_up, &l.ffn_down}) tensors.push_back(t);
  if (w.output.data != w.token_embd.data) tensors.push_back(&w.output);
  return pack(tensors, file, k);
}

Result<std::unique_ptr<PackedWeights>> PackedWeights::pack(const std::vector<Tensor*>& tensors, const gguf::GgufFile& file, const Kernels& k) {
  std::vector<Job> jobs;
  size_t total = 0;
  for (Tensor* t : tensors) {
    if (!*t || t->packed_by) continue;
    const TypeKernels& tk = k.type(t->type);
    if (!tk.pack || t->ne[1] % tk.pack_rows != 0) continue;
    const size_t bytes = t->row_bytes() * static_cast<size_t>(t->ne[1]);
    jobs.push_back({t, total, bytes});
    total += (bytes + 63) / 64 * 64;
  }
  if (jobs.empty()) return std::unique_ptr<PackedWeights>();

  // Over-allocate by a huge page so the copies can start on a 2 MiB boundary.
  const size_t map_size = total + kHugePage;
  void* map = mmap(nullptr, map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (map == MAP_FAILED)
    return Status(ErrorCode::OOM, "cannot allocate " + std::to_string(total >> 20) + " MiB for the packed weights");
  auto* base = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(map) + kHugePage - 1) / kHugePage * kHugePage);
#if defined(MADV_HUGEPAGE)
  madvise(base, total, MADV_HUGEPAGE);  // a hint: without it the copies still work on 4 KiB pages
#endif
  // Largest matrices first, claimed by as many threads as there are cores: loading is a copy, bound by
  // memory bandwidth, which one core does not saturate.
  std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.bytes > b.bytes; });
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < jobs.size();) {
      const Job& j = jobs[i];
      k.type(j.t->type).pack(j.t->data, j.t->row_bytes(), j.t->ne[1], j.t->ne[0], base + j.offset);
      file.release(j.t->data, j.bytes);
    }
  };
  const size_t n_threads = std::min<size_t>({std::max(1u, std::thread::hardware_concurrency()), 8, jobs.size()});
  std::vector<std::thread> threads;
  for (size_t i = 1; i < n_threads; ++i) {
    try {
      threads.emplace_back(worker);
    } catch (const std::system_error&) {
      break;  // fewer helpers: the calling thread still packs whatever is left
    }
  }
  worker();
  for (auto& t : threads) t.join();
  for (const Job& j : jobs) {
    j.t->data = base + j.offset;
    j.t->packed_by = &k;
  }
  return std::unique_ptr<PackedWeights>(new PackedWeights(map, map_size, total));
}

PackedWeights::~PackedWeights() { munmap(map_, map_size_); }

}  // namespace capibara::model
