#include "model/embed.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "gguf/reader.h"
#include "model/block.h"
#include "model/metadata.h"
#include "model/session.h"

namespace capibara::model {

Result<Pooling> declared_pooling(const Model& model) {
  const ArchKeys keys(model.file(), model.config().arch);
  int64_t v = -1;
  CAPIBARA_RETURN_IF_ERROR(keys.u32("pooling_type", &v, false));
  switch (v) {
    case -1:
    case 0: return Pooling::Last;  // none: the caller reads the last row
    case 1: return Pooling::Mean;
    case 2: return Pooling::Cls;
    case 3: return Pooling::Last;
    default:
      return Status(ErrorCode::GGUF_BAD_METADATA, "metadata key '" + keys.key("pooling_type") + "': pooling type " +
                                                      std::to_string(v) + " is not supported (mean, cls and last are)");
  }
}

Status embed(const Model& model, const int32_t* tokens, const int64_t* offsets, int64_t n_seq, const EmbedOptions& opts,
             float* out) {
  const ModelConfig& c = model.config();
  const int64_t E = c.n_embd;
  int64_t longest = 0;
  for (int64_t i = 0; i < n_seq; ++i) {
    const int64_t n = offsets[i + 1] - offsets[i];
    if (n <= 0) return {ErrorCode::INVALID_ARGUMENT, "input " + std::to_string(i) + " has no tokens"};
    if (n > c.n_ctx_train)
      return {ErrorCode::CONTEXT_FULL, "input " + std::to_string(i) + " has " + std::to_string(n) +
                                           " tokens, more than the model's context length " + std::to_string(c.n_ctx_train)};
    longest = std::max(longest, n);
  }
  if (n_seq == 0) return Status::ok();
  SessionOptions so;
  so.n_ctx = longest;
  so.n_batch = std::min<int64_t>(longest, 256);
  so.n_threads = opts.n_threads;
  auto made = Session::create(model, so);
  if (!made) return made.status();
  std::unique_ptr<Session> s = made.take();
  // The last layer's output rows of every batch, captured through the session's tap so the decode
  // path needs no second forward; output_norm is applied here.
  std::vector<float> hidden(static_cast<size_t>(longest * E));
  int64_t filled = 0;
  const int64_t last_layer = c.n_layer - 1;
  s->set_tap([&](const char* name, int64_t il, const float* data, int64_t n_tok, int64_t width) {
    if (il != last_layer || width != E || std::strcmp(name, "l_out") != 0) return;
    std::memcpy(hidden.data() + filled * E, data, static_cast<size_t>(n_tok * E) * sizeof(float));
    filled += n_tok;
  });
  std::vector<float> normed(static_cast<size_t>(E));
  for (int64_t i = 0; i < n_seq; ++i) {
    const int64_t n = offsets[i + 1] - offsets[i];
    s->clear();
    filled = 0;
    CAPIBARA_RETURN_IF_ERROR(s->eval(tokens + offsets[i], n, nullptr));
    if (filled != n) return {ErrorCode::INTERNAL, "embedding tap saw " + std::to_string(filled) + " of " + std::to_string(n) + " rows"};
    float* dst = out + i * E;
    std::fill(dst, dst + E, 0.0f);
    const int64_t first = opts.pooling == Pooling::Last ? n - 1 : 0;
    const int64_t count = opts.pooling == Pooling::Mean ? n : 1;
    for (int64_t t = first; t < first + count; ++t) {
      norm_rows(c, model.weights().output_norm, hidden.data() + t * E, normed.data(), 1, E);
      for (int64_t j = 0; j < E; ++j) dst[j] += normed[j];
    }
    double sum = 0.0;
    for (int64_t j = 0; j < E; ++j) sum += static_cast<double>(dst[j]) * dst[j];
    // Mean scaling cancels in the normalisation; a zero vector stays zero.
    const float inv = sum > 0.0 ? static_cast<float>(1.0 / std::sqrt(sum)) : 0.0f;
    for (int64_t j = 0; j < E; ++j) dst[j] *= inv;
  }
  return Status::ok();
}

}  // namespace capibara::model
