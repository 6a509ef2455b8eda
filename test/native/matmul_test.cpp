// Thread pool hand-off and the matmul driver: every item once, results independent of the thread count,
// matmul equal to the dequantised reference, and typed errors for bad input.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "kernels/kernels.h"
#include "kernels/matmul.h"
#include "runtime/thread_pool.h"
#include "quant_util.h"
#include "test_util.h"

using namespace capibara;

CAPI_TEST(split_range_is_balanced_and_covering) {
  for (int64_t n : {0, 1, 5, 16, 17, 1000})
    for (int parts : {1, 2, 3, 7}) {
      int64_t next = 0;
      for (int i = 0; i < parts; ++i) {
        const Range r = split_range(n, parts, i);
        CHECK(r.begin == next);
        CHECK(r.end - r.begin == n / parts || r.end - r.begin == n / parts + 1);
        next = r.end;
      }
      CHECK(next == n);
    }
}

// Both hand-off paths: spinning workers (back-to-back regions) and parked workers (a pause longer
// than their spin lets them sleep on the futex before the next region).
CAPI_TEST(parallel_for_visits_every_item_once) {
  for (bool pause : {false, true})
    for (int threads : {1, 2, 3, 4}) {
      ThreadPool pool(threads);
      CHECK(pool.size() == threads);
      for (int64_t n : {1, 2, 3, 10, 1000}) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        std::atomic<int> bad_idx{0};
        for (int rep = 0; rep < 200; ++rep) {
          if (pause && rep % 50 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
          pool.parallel_for(n, [&](int64_t b, int64_t e, int t) {
            if (t < 0 || t >= threads) bad_idx.fetch_add(1);
            for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)].fetch_add(1);
          });
        }
        bool all = true;
        for (auto& h : hits) all = all && h.load() == 200;
        CHECK(all);
        CHECK(bad_idx.load() == 0);
      }
    }
}

namespace {

struct Problem {
  std::vector<uint8_t> w;
  std::vector<float> x;
};

Problem make_problem(GgmlType type, int64_t rows, int64_t cols, int64_t toks) {
  Problem p;
  const size_t wrb = ggml_row_size(type, cols);
  p.w.resize(rows * wrb);
  for (int64_t r = 0; r < rows; ++r) {
    auto v = capitest::random_floats(cols, 100 + static_cast<uint32_t>(r));
    kernels_for(Isa::Scalar)->type(type).from_float(v.data(), p.w.data() + r * wrb, cols);
  }
  p.x = capitest::random_floats(toks * cols, 7);
  return p;
}

// Scalar vec_dot on scalar-quantised activations: y[t * rows + r].
std::vector<float> reference(GgmlType type, const Problem& p, int64_t rows, int64_t cols, int64_t toks) {
  const Kernels& ref = *kernels_for(Isa::Scalar);
  const TypeKernels& tk = ref.type(type);
  const size_t wrb = ggml_row_size(type, cols), xrb = ggml_row_size(tk.vec_dot_type, cols);
  std::vector<uint8_t> xq(toks * xrb);
  for (int64_t t = 0; t < toks; ++t) ref.type(tk.vec_dot_type).from_float(&p.x[t * cols], &xq[t * xrb], cols);
  std::vector<float> want(toks * rows);
  for (int64_t t = 0; t < toks; ++t)
    for (int64_t r = 0; r < rows; ++r) tk.vec_dot(cols, &want[t * rows + r], &p.w[r * wrb], &xq[t * xrb]);
  return want;
}

// Every table's packed product of p equals the scalar reference up to float rounding (~1e-7 relative
// per operation): the check of the extreme-value tests, where a wrapped or saturated integer sum would
// be off by thousands.
void expect_packed_exact(GgmlType type, const Problem& p, int64_t rows, int64_t cols, int64_t toks) {
  const size_t wrb = ggml_row_size(type, cols);
  const std::vector<float> want = reference(type, p, rows, cols, toks);
  double top = 0;
  for (float v : want) top = std::max(top, std::fabs(static_cast<double>(v)));
  for (int i = 0; i < kIsaCount; ++i) {
    const Kernels* k = kernels_for(static_cast<Isa>(i));
    if (!k || !k->type(type).pack) continue;
    std::vector<uint8_t> packed(p.w.size());
    k->type(type).pack(p.w.data(), wrb, rows, cols, packed.data());
    ThreadPool pool(1);
    QuantScratch scratch;
    std::vector<float> y(toks * rows, NAN);
    CHECK(matmul(pool, type, packed.data(), rows, cols, p.x.data(), toks, y.data(), scratch, *k, true).is_ok());
    CHECK_LE(capitest::max_err(want.data(), y.data(), toks * rows), 1e-5 * top,
             std::string(isa_name(k->isa)) + " packed " + ggml_type_traits(type).name);
  }
}

}  // namespace

CAPI_TEST(matmul_matches_reference_and_thread_counts) {
  const int64_t rows = 67, cols = 8192;  // 67 x 8192 is above matmul's parallel threshold even for one token
  for (GgmlType type : {GgmlType::F32, GgmlType::F16, GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_K,
                        GgmlType::Q5_K, GgmlType::Q6_K, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::IQ4_NL,
                        GgmlType::IQ4_XS, GgmlType::Q2_K, GgmlType::Q3_K}) {
    for (int64_t toks : {1, 3, 66}) {
      Problem p = make_problem(type, rows, cols, toks);
      const std::vector<float> want = reference(type, p, rows, cols, toks);
      for (int i = 0; i < kIsaCount; ++i) {
        const Kernels* k = kernels_for(static_cast<Isa>(i));
        if (!k) continue;
        const std::string ctx = std::string(isa_name(k->isa)) + " " + ggml_type_traits(type).name + " toks=" + std::to_string(toks);
        std::vector<float> y1;
        for (int threads : {1, 2, 3, 4}) {
          ThreadPool pool(threads);
          QuantScratch scratch;
          std::vector<float> y(toks * rows, NAN);
          const Status st = matmul(pool, type, p.w.data(), rows, cols, p.x.data(), toks, y.data(), scratch, *k);
          CHECK(st.is_ok());
          if (threads == 1) {
            y1 = y;
            // SIMD activation quantisers may round a tie differently: one step of 8-bit error at most.
            CHECK_LE(capitest::max_err(want.data(), y.data(), toks * rows), 0.05, ctx);
          } else {
            CHECK_LE(capitest::max_err(y1.data(), y.data(), toks * rows), 0.0, ctx + " threads=" + std::to_string(threads));
          }
        }
      }
    }
  }
}

// Every table's packed layouts: pack, then matmul(packed) equals the reference for GEMV and GEMM token
// counts of powers of two and odd ones around the kernels' tiles (AVX-512 6 or 8, AVX2 4, NEON 2 tokens;
// an odd count leaves the SMMLA kernels a lone token or one paired with itself), independently of
// the thread count.
CAPI_TEST(packed_matmul_matches_reference) {
  const int64_t rows = 80, cols = 2048;  // 5 groups of 16 (or 10 of 8, 20 of 4)
  int packed_types = 0;
  for (int i = 0; i < kIsaCount; ++i) {
    const Kernels* k = kernels_for(static_cast<Isa>(i));
    if (!k) continue;
    for (uint32_t id = 0; id < kGgmlTypeCount; ++id) {
      const auto type = static_cast<GgmlType>(id);
      const TypeKernels& tk = k->type(type);
      if (!tk.pack) continue;
      ++packed_types;
      CHECK(tk.gemm_packed != nullptr && tk.pack_rows > 0 && 16 % tk.pack_rows == 0);
      for (int64_t toks : {1, 2, 3, 4, 7, 8, 9, 16, 64, 65}) {
        Problem p = make_problem(type, rows, cols, toks);
        const std::vector<float> want = reference(type, p, rows, cols, toks);
        std::vector<uint8_t> packed(p.w.size());
        tk.pack(p.w.data(), ggml_row_size(type, cols), rows, cols, packed.data());
        const std::string ctx = std::string(isa_name(k->isa)) + " packed " + ggml_type_traits(type).name + " toks=" + std::to_string(toks);
        // The same table's unpacked product quantises the activations identically and sums the same
        // exact integers, so only float rounding may differ (outputs are ~10 in size).
        std::vector<float> unpacked(toks * rows), y1;
        {
          ThreadPool pool(1);
          QuantScratch scratch;
          CHECK(matmul(pool, type, p.w.data(), rows, cols, p.x.data(), toks, unpacked.data(), scratch, *k).is_ok());
        }
        for (int threads : {1, 2, 3}) {
          ThreadPool pool(threads);
          QuantScratch scratch;
          std::vector<float> y(toks * rows, NAN);
          CHECK(matmul(pool, type, packed.data(), rows, cols, p.x.data(), toks, y.data(), scratch, *k, true).is_ok());
          if (threads == 1) {
            y1 = y;
            CHECK_LE(capitest::max_err(want.data(), y.data(), toks * rows), 0.05, ctx);
            CHECK_LE(capitest::max_err(unpacked.data(), y.data(), toks * rows), 1e-3, ctx + " vs unpacked");
          } else {
            CHECK_LE(capitest::max_err(y1.data(), y.data(), toks * rows), 0.0, ctx + " threads=" + std::to_string(threads));
          }
        }
      }
      // A row count that splits a group is refused, not read past.
      ThreadPool pool(1);
      QuantScratch scratch;
      Problem p = make_problem(type, tk.pack_rows + 1, 256, 1);
      std::vector<float> y(tk.pack_rows + 1);
      CHECK(matmul(pool, type, p.w.data(), tk.pack_rows + 1, 256, p.x.data(), 1, y.data(), scratch, *k, true).code() ==
            ErrorCode::INVALID_ARGUMENT);
    }
  }
  // The scalar table has no packed layout: asking for one is an error, not a misread.
  ThreadPool pool(1);
  QuantScratch scratch;
  Problem p = make_problem(GgmlType::Q4_0, 16, 256, 1);
  std::vector<float> y(16);
  CHECK(matmul(pool, GgmlType::Q4_0, p.w.data(), 16, 256, p.x.data(), 1, y.data(), scratch, *kernels_for(Isa::Scalar), true)
            .code() == ErrorCode::INVALID_ARGUMENT);
  std::printf("  (%d packed type kernels checked)\n", packed_types);
}

// matmul_many (q, k, v in one region) gives each part exactly what its own matmul gives: parts of
// different weight and activation types (Q4_0 packed and Q8_0 activations, Q6_K on Q8_K, F32 as is)
// share x, and a bad part is refused before any part is computed.
CAPI_TEST(matmul_many_equals_one_matmul_per_part) {
  const int64_t cols = 512;
  const Kernels& k = kernels();
  struct Spec {
    GgmlType type;
    int64_t rows;
    bool packed;
  };
  const Spec specs[] = {{GgmlType::Q4_0, 48, k.type(GgmlType::Q4_0).pack != nullptr}, {GgmlType::Q6_K, 32, false}, {GgmlType::F32, 16, false}};
  for (int64_t toks : {1, 3, 8}) {
    const std::vector<float> x = capitest::random_floats(toks * cols, 11);
    std::vector<std::vector<uint8_t>> ws;
    std::vector<std::vector<float>> want, got;
    std::vector<MatmulPart> parts;
    for (const Spec& sp : specs) {
      Problem p = make_problem(sp.type, sp.rows, cols, 1);
      if (sp.packed) {
        std::vector<uint8_t> packed(p.w.size());
        k.type(sp.type).pack(p.w.data(), ggml_row_size(sp.type, cols), sp.rows, cols, packed.data());
        p.w = packed;
      }
      ws.push_back(p.w);
      want.emplace_back(toks * sp.rows);
      got.emplace_back(toks * sp.rows, NAN);
    }
    for (size_t i = 0; i < std::size(specs); ++i) parts.push_back({specs[i].type, ws[i].data(), specs[i].rows, got[i].data(), &k, specs[i].packed});
    for (int threads : {1, 2, 3}) {
      ThreadPool pool(threads);
      QuantScratch scratch;
      for (size_t i = 0; i < std::size(specs); ++i)
        CHECK(matmul(pool, specs[i].type, ws[i].data(), specs[i].rows, cols, x.data(), toks, want[i].data(), scratch, k, specs[i].packed).is_ok());
      CHECK(matmul_many(pool, parts.data(), parts.size(), cols, x.data(), toks, scratch).is_ok());
      for (size_t i = 0; i < std::size(specs); ++i)
        CHECK_LE(capitest::max_err(want[i].data(), got[i].data(), toks * specs[i].rows), 0.0,
                 std::string(ggml_type_traits(specs[i].type).name) + " toks=" + std::to_string(toks) + " threads=" + std::to_string(threads));
    }
  }
  // A part whose rows split a packed group fails the call, and the good part before it is not computed.
  ThreadPool pool(2);
  QuantScratch scratch;
  Problem p = make_problem(GgmlType::Q8_0, 16, cols, 1);
  std::vector<float> y0(16, NAN), y1(17, NAN);
  const MatmulPart bad[] = {{GgmlType::Q8_0, p.w.data(), 16, y0.data(), &k, false}, {GgmlType::Q8_0, p.w.data(), 17, y1.data(), &k, true}};
  const std::vector<float> x1 = capitest::random_floats(cols, 3);
  if (k.type(GgmlType::Q8_0).pack) {
    CHECK(matmul_many(pool, bad, 2, cols, x1.data(), 1, scratch).code() == ErrorCode::INVALID_ARGUMENT);
    CHECK(std::isnan(y0[0]));
  }
  CHECK(matmul_many(pool, bad, 0, cols, x1.data(), 1, scratch).code() == ErrorCode::INVALID_ARGUMENT);
}

// The packed kernels' integer sums at the quants' extremes: Q4_0 nibbles 15 and 0 (AVX2 adds 8 words'
// s16 pairs, at most 30480 here) and Q8_0 bytes +-127 and -128 (AVX2's sign trick pairs reach 32512),
// against activations of +-127. Saturation or a wrapped s16 would be off by thousands.
CAPI_TEST(packed_matmul_exact_at_quant_extremes) {
  const int64_t rows = 16, cols = 4096, toks = 5;
  std::vector<float> x(toks * cols);
  for (int64_t t = 0; t < toks; ++t)
    for (int64_t i = 0; i < cols; ++i) x[t * cols + i] = t == 4 ? (i % 3 == 0 ? -1.0f : 1.0f) : (t % 2 ? -1.0f : 1.0f);
  for (GgmlType type : {GgmlType::Q4_0, GgmlType::Q8_0}) {
    const size_t bsz = ggml_type_traits(type).type_size, wrb = ggml_row_size(type, cols);
    Problem p;
    p.x = x;
    p.w.resize(rows * wrb);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t b = 0; b < cols / 32; ++b) {
        uint8_t* blk = &p.w[r * wrb + b * bsz];
        const uint16_t one = 0x3C00;  // fp16 1.0
        std::memcpy(blk, &one, 2);
        for (size_t i = 2; i < bsz; ++i) {
          static const uint8_t q4[3] = {0xFF, 0x00, 0x0F}, q8[3] = {0x7F, 0x80, 0x81};  // q8: 127, -128, -127
          blk[i] = (type == GgmlType::Q4_0 ? q4 : q8)[(r + (r % 4 == 3 ? i : 0)) % 3];
        }
      }
    expect_packed_exact(type, p, rows, cols, toks);
  }
}

// The packed K-quant kernels at the levels' extremes: every byte 0xFF (Q4_K 15, Q5_K 31, Q6_K 63 with
// scales and mins 63, Q6_K scale -1, Q3_K 7 with scale 31, Q2_K 3 with scale and min 15, IQ4_XS level 113
// with scale 31), 0x7F and 0x80 (Q6_K scales 127 and -128, IQ4_XS levels -127 and 1), against Q8_K
// activations of +-127. AVX2 adds 8 (Q4_K), 4 (Q5_K, Q2_K, Q3_K) or 2 (Q6_K) words of vpmaddubsw pairs
// in s16 before widening; one word too many would wrap by 65536 per overflow.
CAPI_TEST(packed_k_quants_exact_at_quant_extremes) {
  const int64_t rows = 16, cols = 1024, toks = 5;
  std::vector<float> x(toks * cols);
  for (int64_t t = 0; t < toks; ++t)
    for (int64_t i = 0; i < cols; ++i) x[t * cols + i] = t == 4 ? (i % 3 == 0 ? -1.0f : 1.0f) : (t % 2 ? -1.0f : 1.0f);
  struct Case {
    GgmlType type;
    std::vector<size_t> halves;  // offsets of the fp16 super-block scales (d, dmin) in the block
  };
  const Case cases[] = {{GgmlType::Q4_K, {0, 2}}, {GgmlType::Q5_K, {0, 2}}, {GgmlType::Q6_K, {208}},
                        {GgmlType::Q2_K, {80, 82}}, {GgmlType::Q3_K, {108}}, {GgmlType::IQ4_XS, {0}}};
  for (const Case& c : cases) {
    const GgmlType type = c.type;
    const size_t bsz = ggml_type_traits(type).type_size, wrb = ggml_row_size(type, cols);
    Problem p;
    p.x = x;
    p.w.resize(rows * wrb);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t b = 0; b < cols / 256; ++b) {
        uint8_t* blk = &p.w[r * wrb + b * bsz];
        static const uint8_t kBytes[3] = {0xFF, 0x7F, 0x80};
        for (size_t i = 0; i < bsz; ++i) blk[i] = kBytes[(r + (r % 4 == 3 ? i : 0)) % 3];
        const uint16_t one = 0x3C00;  // fp16 1.0
        for (size_t at : c.halves) std::memcpy(blk + at, &one, 2);
      }
    expect_packed_exact(type, p, rows, cols, toks);
  }
}

// The packed legacy types (Q4_1, Q5_0, Q5_1, IQ4_NL) at every token count of a tile and past it
// (1..17, odd counts, 64 and 65: full tiles, every remainder, several tiles), against the scalar
// reference and the same table's unpacked product, which sums the same exact integers.
CAPI_TEST(packed_legacy_matches_scalar_at_every_token_count) {
  const int64_t rows = 48, cols = 1024;  // 3 groups of 16 (6 of 8, 12 of 4), 32 blocks per row
  std::vector<int64_t> toks_list;
  for (int64_t t = 1; t <= 17; ++t) toks_list.push_back(t);
  for (int64_t t : {31, 64, 65}) toks_list.push_back(t);
  int checked = 0;
  for (GgmlType type : {GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::IQ4_NL}) {
    for (int i = 0; i < kIsaCount; ++i) {
      const Kernels* k = kernels_for(static_cast<Isa>(i));
      if (!k || !k->type(type).pack) continue;
      ++checked;
      const TypeKernels& tk = k->type(type);
      for (int64_t toks : toks_list) {
        Problem p = make_problem(type, rows, cols, toks);
        const std::vector<float> want = reference(type, p, rows, cols, toks);
        std::vector<uint8_t> packed(p.w.size());
        tk.pack(p.w.data(), ggml_row_size(type, cols), rows, cols, packed.data());
        ThreadPool pool(1);
        QuantScratch scratch;
        std::vector<float> unpacked(toks * rows), y(toks * rows, NAN);
        CHECK(matmul(pool, type, p.w.data(), rows, cols, p.x.data(), toks, unpacked.data(), scratch, *k).is_ok());
        CHECK(matmul(pool, type, packed.data(), rows, cols, p.x.data(), toks, y.data(), scratch, *k, true).is_ok());
        const std::string ctx = std::string(isa_name(k->isa)) + " packed " + ggml_type_traits(type).name + " toks=" + std::to_string(toks);
        CHECK_LE(capitest::max_err(want.data(), y.data(), toks * rows), 0.05, ctx);
        CHECK_LE(capitest::max_err(unpacked.data(), y.data(), toks * rows), 1e-3, ctx + " vs unpacked");
      }
    }
  }
  std::printf("  (%d packed legacy type kernels checked)\n", checked);
}

// The packed legacy kernels at the levels' extremes: quant and qh bytes 0xFF, 0x00, 0x0F (Q4_1 15, Q5 31
// and 0, IQ4_NL levels 113 and -127), scales and mins 1, against activations of +-127. AVX2 adds 8 (Q4_1)
// or 4 (Q5) words of vpmaddubsw pairs in s16 before widening; a wrapped or saturated s16 would be off by
// thousands.
CAPI_TEST(packed_legacy_exact_at_quant_extremes) {
  const int64_t rows = 16, cols = 1024, toks = 5;
  std::vector<float> x(toks * cols);
  for (int64_t t = 0; t < toks; ++t)
    for (int64_t i = 0; i < cols; ++i) x[t * cols + i] = t == 4 ? (i % 3 == 0 ? -1.0f : 1.0f) : (t % 2 ? -1.0f : 1.0f);
  for (GgmlType type : {GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::IQ4_NL}) {
    const bool has_min = type == GgmlType::Q4_1 || type == GgmlType::Q5_1;
    const size_t bsz = ggml_type_traits(type).type_size, wrb = ggml_row_size(type, cols);
    Problem p;
    p.x = x;
    p.w.resize(rows * wrb);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t b = 0; b < cols / 32; ++b) {
        uint8_t* blk = &p.w[r * wrb + b * bsz];
        static const uint8_t kBytes[3] = {0xFF, 0x00, 0x0F};
        for (size_t i = 0; i < bsz; ++i) blk[i] = kBytes[(r + (r % 4 == 3 ? i : 0)) % 3];
        const uint16_t one = 0x3C00;  // fp16 1.0: d, and the min after it
        std::memcpy(blk, &one, 2);
        if (has_min) std::memcpy(blk + 2, &one, 2);
      }
    expect_packed_exact(type, p, rows, cols, toks);
  }
}

CAPI_TEST(matmul_rejects_bad_input) {
  ThreadPool pool(2);
  QuantScratch scratch;
  std::vector<uint8_t> w(4096);
  std::vector<float> x(256), y(4);
  CHECK(matmul(pool, GgmlType::Q8_K, w.data(), 1, 256, x.data(), 1, y.data(), scratch).code() == ErrorCode::UNSUPPORTED_QUANT);
  CHECK(matmul(pool, GgmlType::IQ2_XXS, w.data(), 1, 256, x.data(), 1, y.data(), scratch).code() == ErrorCode::UNSUPPORTED_QUANT);
  CHECK(matmul(pool, static_cast<GgmlType>(999), w.data(), 1, 256, x.data(), 1, y.data(), scratch).code() ==
        ErrorCode::UNSUPPORTED_QUANT);
  CHECK(matmul(pool, GgmlType::Q4_K, w.data(), 1, 100, x.data(), 1, y.data(), scratch).code() == ErrorCode::INVALID_ARGUMENT);
  CHECK(matmul(pool, GgmlType::Q4_0, w.data(), 0, 256, x.data(), 1, y.data(), scratch).code() == ErrorCode::INVALID_ARGUMENT);
}

// Steady state: the scratch buffer is reused, not regrown.
CAPI_TEST(matmul_scratch_is_reused) {
  ThreadPool pool(2);
  QuantScratch scratch;
  Problem p = make_problem(GgmlType::Q4_0, 8, 256, 2);
  std::vector<float> y(16);
  CHECK(matmul(pool, GgmlType::Q4_0, p.w.data(), 8, 256, p.x.data(), 2, y.data(), scratch).is_ok());
  const size_t cap = scratch.capacity();
  const uint8_t* ptr = scratch.reserve(1);
  CHECK(matmul(pool, GgmlType::Q4_0, p.w.data(), 8, 256, p.x.data(), 1, y.data(), scratch).is_ok());
  CHECK(scratch.capacity() == cap && scratch.reserve(1) == ptr);
}
