#include "runtime/arena.h"

#include <cstdlib>
#include <new>
#include <string>

namespace capibara {

void Arena::Free::operator()(uint8_t* p) const { std::free(p); }

Result<Arena> Arena::create(size_t bytes) {
  const size_t size = round_up(bytes == 0 ? kAlign : bytes);
  auto* p = static_cast<uint8_t*>(std::aligned_alloc(kAlign, size));
  if (!p) return Status(ErrorCode::OOM, "could not allocate " + std::to_string(size) + " bytes of activation buffers");
  return Arena(std::unique_ptr<uint8_t, Free>(p), size);
}

}  // namespace capibara
