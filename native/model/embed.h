// Sentence embeddings: the final hidden state (after output_norm, before the LM head -- llama.cpp's
// "result_norm", what it returns as embeddings for decoder models) of one token sequence evaluated
// from an empty context, pooled over the tokens, then L2-normalised.
#pragma once
#include <cstdint>

#include "common/status.h"
#include "model/model.h"

namespace capibara::model {

// llama.cpp's llama_pooling_type values as written in `<arch>.pooling_type`.
enum class Pooling : int32_t { Mean = 1, Cls = 2, Last = 3 };

// The pooling the file declares in `<arch>.pooling_type`, else Last: with no declared pooling
// llama.cpp pools nothing and embedding callers read the last token's row. GGUF_BAD_METADATA for a
// pooling this runner does not do (rank) or an unknown value.
Result<Pooling> declared_pooling(const Model& model);

struct EmbedOptions {
  Pooling pooling = Pooling::Last;
  int n_threads = 1;
};

// Embeds each of `n_seq` sequences (seq i: tokens[offsets[i] .. offsets[i+1]), offsets has n_seq + 1
// entries) into out[i * n_embd ..]. INVALID_ARGUMENT for an empty sequence or a token outside the
// vocabulary; CONTEXT_FULL for a sequence longer than the training context.
Status embed(const Model& model, const int32_t* tokens, const int64_t* offsets, int64_t n_seq, const EmbedOptions& opts,
             float* out);

}  // namespace capibara::model
