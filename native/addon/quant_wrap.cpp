// Quantised formats and matrix products callable from JS on typed arrays (the GGUF writer's quantize,
// tests and benchmarks): quant.typeInfo / quantize / dequantize / vecDot / matmul / benchMatmul /
// readBandwidth. Types are named as in ggml ("q4_K"); every entry takes a kernel backend name.
#include <sys/resource.h>

#include <chrono>
#include <string>
#include <vector>

#include "addon/convert.h"
#include "addon/modules.h"
#include "kernels/kernels.h"
#include "kernels/matmul.h"
#include "runtime/thread_pool.h"

namespace capibara::addon {

namespace {

constexpr int kMaxThreads = 256;

// A type name with row conversions (from_float/to_float) in the scalar table.
GgmlType arg_type(const Napi::CallbackInfo& info, size_t i) {
  const std::string name = arg_string(info, i, "type");
  for (uint32_t id = 0; id < kGgmlTypeCount; ++id) {
    const auto t = static_cast<GgmlType>(id);
    if (ggml_type_known(id) && name == ggml_type_traits(t).name) {
      if (!kernels_for(Isa::Scalar)->type(t).from_float)
        throw_status(info.Env(), Status(ErrorCode::UNSUPPORTED_QUANT, "type '" + name + "' has no kernels"));
      return t;
    }
  }
  throw_status(info.Env(), Status(ErrorCode::UNSUPPORTED_QUANT, "unknown tensor type '" + name + "'"));
}

// Weight type that has a dot product (every supported type but the activation-only q8_K).
GgmlType arg_weight_type(const Napi::CallbackInfo& info, size_t i) {
  const GgmlType t = arg_type(info, i);
  if (!kernels_for(Isa::Scalar)->type(t).vec_dot)
    throw_status(info.Env(), Status(ErrorCode::UNSUPPORTED_QUANT, std::string("type '") + ggml_type_traits(t).name +
                                                                      "' is an activation type, not a weight type"));
  return t;
}

int64_t arg_row_length(const Napi::CallbackInfo& info, GgmlType t, int64_t n, const char* what) {
  const int64_t bs = ggml_type_traits(t).block_size;
  if (n <= 0 || n % bs != 0)
    throw_invalid(info.Env(), std::string(what) + " (" + std::to_string(n) + ") must be a positive multiple of " +
                                  std::to_string(bs) + " for " + ggml_type_traits(t).name);
  return n;
}

int arg_threads(const Napi::CallbackInfo& info, size_t i) {
  const int64_t n = arg_int(info, i, "threads");
  if (n < 1 || n > kMaxThreads) throw_invalid(info.Env(), "threads must be in 1.." + std::to_string(kMaxThreads));
  return static_cast<int>(n);
}

// One activation scratch per JS thread (worker_threads safe), kept between calls. A ThreadPool is
// only a share of the process's CPU budget, so each call makes its own.
QuantScratch& scratch() {
  thread_local QuantScratch s;
  return s;
}

// typeInfo(type) -> { name, blockSize, typeSize, vecDotType }
Napi::Value type_info(const Napi::CallbackInfo& info) {
  const GgmlType t = arg_type(info, 0);
  const auto& tr = ggml_type_traits(t);
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("name", tr.name);
  o.Set("blockSize", static_cast<double>(tr.block_size));
  o.Set("typeSize", static_cast<double>(tr.type_size));
  o.Set("vecDotType", ggml_type_traits(kernels_for(Isa::Scalar)->type(t).vec_dot_type).name);
  return o;
}

// quantize(backend, type, x) -> Uint8Array of ggml_row_size(type, x.length) bytes
Napi::Value quantize(const Napi::CallbackInfo& info) {
  const Kernels& k = arg_kernels(info, 0);
  const GgmlType t = arg_type(info, 1);
  Napi::Float32Array x = arg_f32(info, 2, "x");
  const int64_t n = arg_row_length(info, t, static_cast<int64_t>(x.ElementLength()), "x.length");
  Napi::Uint8Array out = Napi::Uint8Array::New(info.Env(), ggml_row_size(t, n));
  k.type(t).from_float(x.Data(), out.Data(), n);
  return out;
}

// dequantize(backend, type, bytes, n) -> Float32Array(n)
Napi::Value dequantize(const Napi::CallbackInfo& info) {
  const Kernels& k = arg_kernels(info, 0);
  const GgmlType t = arg_type(info, 1);
  Napi::Uint8Array bytes = arg_u8(info, 2, "bytes");
  const int64_t n = arg_row_length(info, t, arg_int(info, 3, "n"), "n");
  if (bytes.ByteLength() != ggml_row_size(t, n))
    throw_invalid(info.Env(), "bytes has " + std::to_string(bytes.ByteLength()) + " bytes, " + std::to_string(n) + " " +
                                  ggml_type_traits(t).name + " elements need " + std::to_string(ggml_row_size(t, n)));
  Napi::Float32Array out = Napi::Float32Array::New(info.Env(), static_cast<size_t>(n));
  k.type(t).to_float(bytes.Data(), out.Data(), n);
  return out;
}

// vecDot(backend, type, w, x) -> number: x is quantised to the type's vec_dot_type with the same backend.
Napi::Value vec_dot(const Napi::CallbackInfo& info) {
  const Kernels& k = arg_kernels(info, 0);
  const GgmlType t = arg_weight_type(info, 1);
  Napi::Uint8Array w = arg_u8(info, 2, "w");
  Napi::Float32Array x = arg_f32(info, 3, "x");
  const int64_t n = static_cast<int64_t>(x.ElementLength());
  const TypeKernels& tk = k.type(t);
  arg_row_length(info, t, n, "x.length");
  arg_row_length(info, tk.vec_dot_type, n, "x.length");
  if (w.ByteLength() != ggml_row_size(t, n))
    throw_invalid(info.Env(), "w has " + std::to_string(w.ByteLength()) + " bytes, a row of " + std::to_string(n) + " " +
                                  ggml_type_traits(t).name + " elements has " + std::to_string(ggml_row_size(t, n)));
  std::vector<uint8_t> xq(ggml_row_size(tk.vec_dot_type, n));
  k.type(tk.vec_dot_type).from_float(x.Data(), xq.data(), n);
  float s = 0;
  tk.vec_dot(n, &s, w.Data(), xq.data());
  return Napi::Number::New(info.Env(), s);
}

struct MatmulArgs {
  const Kernels* k;
  GgmlType type;
  Napi::Uint8Array w;
  int64_t n_rows, n_cols;
  Napi::Float32Array x;
  int64_t n_tok;
  int threads;
  size_t matrix_bytes;  // one nRows x nCols matrix
  size_t copies;        // matrices w holds back to back (1 unless the caller allows more)
  std::vector<uint8_t> packed;  // w in the backend's packed layout, when asked for
};

// (backend, type, w, nRows, nCols, x, nTok, threads, ..., packed at packed_arg); w must hold exactly one
// matrix unless allow_copies. packed: w is first converted to the backend's packed layout (copies too).
MatmulArgs arg_matmul(const Napi::CallbackInfo& info, bool allow_copies, size_t packed_arg) {
  MatmulArgs a{&arg_kernels(info, 0), arg_weight_type(info, 1), arg_u8(info, 2, "w"), arg_int(info, 3, "nRows"),
               arg_int(info, 4, "nCols"), arg_f32(info, 5, "x"), arg_int(info, 6, "nTok"), arg_threads(info, 7), 0, 0, {}};
  arg_row_length(info, a.type, a.n_cols, "nCols");
  if (a.n_rows <= 0) throw_invalid(info.Env(), "nRows must be positive");
  a.matrix_bytes = ggml_row_size(a.type, a.n_cols) * static_cast<size_t>(a.n_rows);
  a.copies = a.w.ByteLength() / a.matrix_bytes;
  if (a.w.ByteLength() % a.matrix_bytes != 0 || a.copies == 0 || (!allow_copies && a.copies != 1))
    throw_invalid(info.Env(), "w has " + std::to_string(a.w.ByteLength()) + " bytes, expected " +
                                  (allow_copies ? "a multiple of " : "") + std::to_string(a.matrix_bytes) +
                                  " (nRows x nCols " + ggml_type_traits(a.type).name + ")");
  if (a.n_tok <= 0 || static_cast<int64_t>(a.x.ElementLength()) != a.n_tok * a.n_cols)
    throw_invalid(info.Env(), "x must hold nTok * nCols floats (nTok > 0)");
  if (info.Length() > packed_arg && info[packed_arg].ToBoolean().Value()) {
    const TypeKernels& tk = a.k->type(a.type);
    if (!tk.pack || a.n_rows % tk.pack_rows != 0)
      throw_invalid(info.Env(), std::string("the ") + isa_name(a.k->isa) + " backend has no packed " + ggml_type_traits(a.type).name +
                                    " layout for " + std::to_string(a.n_rows) + " rows (see packRows)");
    a.packed.resize(a.w.ByteLength());
    for (size_t c = 0; c < a.copies; ++c)
      tk.pack(a.w.Data() + c * a.matrix_bytes, ggml_row_size(a.type, a.n_cols), a.n_rows, a.n_cols, a.packed.data() + c * a.matrix_bytes);
  }
  return a;
}

const uint8_t* weights_of(const MatmulArgs& a) { return a.packed.empty() ? a.w.Data() : a.packed.data(); }

void run_matmul(const Napi::CallbackInfo& info, const MatmulArgs& a, const uint8_t* w, float* y) {
  ThreadPool pool(a.threads);
  const Status st = matmul(pool, a.type, w, a.n_rows, a.n_cols, a.x.Data(), a.n_tok, y, scratch(), *a.k, !a.packed.empty());
  if (!st.is_ok()) throw_status(info.Env(), st);
}

// matmul(backend, type, w, nRows, nCols, x, nTok, threads, packed) -> Float32Array(nTok * nRows), y[t * nRows + r]
Napi::Value matmul_js(const Napi::CallbackInfo& info) {
  const MatmulArgs a = arg_matmul(info, false, 8);
  Napi::Float32Array y = Napi::Float32Array::New(info.Env(), static_cast<size_t>(a.n_tok * a.n_rows));
  run_matmul(info, a, weights_of(a), y.Data());
  return y;
}

// packRows(backend, type) -> rows per group of the backend's packed layout for the type, 0 for none.
Napi::Value pack_rows(const Napi::CallbackInfo& info) {
  const Kernels& k = arg_kernels(info, 0);
  return Napi::Number::New(info.Env(), k.type(arg_weight_type(info, 1)).pack_rows);
}

// kernelVariant(backend, type) -> { gemm, packed, packRows }: the kernel families dispatch chose for the
// type (TypeKernels' gemm_variant / packed_variant; packed null without a packed layout).
Napi::Value kernel_variant(const Napi::CallbackInfo& info) {
  const TypeKernels& tk = arg_kernels(info, 0).type(arg_weight_type(info, 1));
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("gemm", Napi::String::New(info.Env(), tk.gemm_variant ? tk.gemm_variant : "scalar"));
  o.Set("packed", tk.packed_variant ? Napi::Value(Napi::String::New(info.Env(), tk.packed_variant)) : info.Env().Null());
  o.Set("packRows", Napi::Number::New(info.Env(), tk.pack_rows));
  return o;
}

// Process CPU time (every thread), seconds.
double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// benchMatmul(backend, type, w, nRows, nCols, x, nTok, threads, iterations, packed) -> { seconds, cpuSeconds }
// per call, timed natively (no JS allocation in the loop; packing, done first, is in neither). w may
// hold several copies of the matrix back to back; call i uses copy i % copies, so a benchmark can make
// the weights' working set larger than the caches.
Napi::Value bench_matmul(const Napi::CallbackInfo& info) {
  const MatmulArgs a = arg_matmul(info, true, 9);
  const int64_t iters = arg_int(info, 8, "iterations");
  if (iters < 1) throw_invalid(info.Env(), "iterations must be >= 1");
  std::vector<float> y(static_cast<size_t>(a.n_tok * a.n_rows));
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < iters; ++i) run_matmul(info, a, weights_of(a) + (static_cast<size_t>(i) % a.copies) * a.matrix_bytes, y.data());
  const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("seconds", dt.count() / static_cast<double>(iters));
  out.Set("cpuSeconds", (process_cpu_seconds() - cpu0) / static_cast<double>(iters));
  return out;
}

// readBandwidth(bytes, threads, iterations) -> bytes per second of a parallel read-sum over a fresh
// buffer (the machine's attainable memory bandwidth, the ceiling of a memory-bound GEMV).
Napi::Value read_bandwidth(const Napi::CallbackInfo& info) {
  const int64_t bytes = arg_int(info, 0, "bytes");
  const int threads = arg_threads(info, 1);
  const int64_t iters = arg_int(info, 2, "iterations");
  if (bytes < (1 << 20) || iters < 1) throw_invalid(info.Env(), "bytes must be >= 1 MiB and iterations >= 1");
  const int64_t words = bytes / 8;
  std::vector<uint64_t> buf(static_cast<size_t>(words), 1);
  ThreadPool pool(threads);
  std::vector<uint64_t> sums(static_cast<size_t>(threads));
  auto pass = [&] {
    pool.parallel_for(words, [&](int64_t b, int64_t e, int t) {
      uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int64_t i = b;
      for (; i + 4 <= e; i += 4) {
        s0 += buf[i];
        s1 += buf[i + 1];
        s2 += buf[i + 2];
        s3 += buf[i + 3];
      }
      for (; i < e; ++i) s0 += buf[i];
      sums[t] += s0 + s1 + s2 + s3;
    });
  };
  pass();
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < iters; ++i) pass();
  const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
  uint64_t total = 0;
  for (uint64_t s : sums) total += s;
  if (total != static_cast<uint64_t>(words) * static_cast<uint64_t>(iters + 1))
    throw_status(info.Env(), Status(ErrorCode::INTERNAL, "readBandwidth: checksum mismatch"));
  return Napi::Number::New(info.Env(), static_cast<double>(words * 8) * static_cast<double>(iters) / dt.count());
}

}  // namespace

void init_quant(Napi::Env env, Napi::Object exports) {
  Napi::Object q = Napi::Object::New(env);
  q.Set("typeInfo", Napi::Function::New(env, type_info, "typeInfo"));
  q.Set("quantize", Napi::Function::New(env, quantize, "quantize"));
  q.Set("dequantize", Napi::Function::New(env, dequantize, "dequantize"));
  q.Set("vecDot", Napi::Function::New(env, vec_dot, "vecDot"));
  q.Set("matmul", Napi::Function::New(env, matmul_js, "matmul"));
  q.Set("packRows", Napi::Function::New(env, pack_rows, "packRows"));
  q.Set("kernelVariant", Napi::Function::New(env, kernel_variant, "kernelVariant"));
  q.Set("benchMatmul", Napi::Function::New(env, bench_matmul, "benchMatmul"));
  q.Set("readBandwidth", Napi::Function::New(env, read_bandwidth, "readBandwidth"));
  exports.Set("quant", q);
}

}  // namespace capibara::addon
