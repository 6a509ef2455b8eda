// Load-time repacking of weight matrices into the active kernels' packed layouts (TypeKernels::pack).
// The packed copies live in one anonymous mapping (transparent huge pages where the kernel allows:
// fewer TLB misses on a weight stream), and the file pages each matrix came from are released once
// it is packed, so the weights are resident once, not twice (RSS ~ file size, like the mmap path).
// The token embedding is never packed: the embedding lookup reads its rows (a tied output projection
// therefore stays in file layout too).
#pragma once
#include <cstddef>
#include <memory>
#include <vector>

#include "common/status.h"
#include "model/weights.h"

namespace capibara::gguf {
class GgufFile;
}

namespace capibara::model {

class PackedWeights {
 public:
  // Packs every matrix of `w` that k has a layout for and repoints its Tensor at the copy. Returns
  // null (and leaves w as it was) when nothing is packable. OOM when the mapping cannot be had.
  static Result<std::unique_ptr<PackedWeights>> pack(Weights& w, const gguf::GgufFile& file, const Kernels& k);
  // Same for any set of matrices viewing `file`'s mapping (the vision encoder's).
  static Result<std::unique_ptr<PackedWeights>> pack(const std::vector<Tensor*>& tensors, const gguf::GgufFile& file, const Kernels& k);
  ~PackedWeights();
  PackedWeights(const PackedWeights&) = delete;
  PackedWeights& operator=(const PackedWeights&) = delete;

  size_t bytes() const { return used_; }  // packed bytes (the matrices' size in the file)

 private:
  PackedWeights(void* map, size_t map_size, size_t used) : map_(map), map_size_(map_size), used_(used) {}
  void* map_;
  size_t map_size_;
  size_t used_;
};

}  // namespace capibara::model
