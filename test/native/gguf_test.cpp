// GGUF reader C++ API on in-memory buffers (and one real file through mmap), plus a short fuzz run.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "../fuzz/gguf_builder.h"
#include "../fuzz/gguf_mutator.h"
#include "harness.h"

using capibara::ErrorCode;
using capibara::GgmlType;
using capibara::gguf::GgufFile;
using capibara::gguf::ValueType;
using capifuzz::GgufBuilder;

namespace {

// The buffer must outlive the returned file (views point into it).
std::unique_ptr<GgufFile> parse_ok(const std::vector<uint8_t>& b) {
  auto r = GgufFile::from_buffer(b.data(), b.size());
  if (!r) std::printf("    unexpected: %s\n", r.status().message().c_str());
  CHECK(r.is_ok());
  return r ? r.take() : nullptr;
}

ErrorCode parse_code(const std::vector<uint8_t>& b) {
  auto r = GgufFile::from_buffer(b.data(), b.size());
  return r ? ErrorCode::OK : r.status().code();
}

template <typename T>
T value_or(const capibara::Result<T>& r, T fallback) {
  return r ? r.value() : fallback;
}

}  // namespace

CAPI_TEST(gguf_header_and_scalars) {
  const auto buf = capifuzz::sample_gguf();
  auto f = parse_ok(buf);
  if (!f) return;
  CHECK(f->version() == 3);
  CHECK(f->alignment() == 32);
  CHECK(f->data_offset() % 32 == 0);
  CHECK(f->file_size() == buf.size());
  CHECK(f->metadata().size() == 17);
  CHECK(f->metadata()[0].key == "general.architecture");
  CHECK(value_or(f->get_string("general.architecture"), std::string_view()) == "llama");
  CHECK(value_or(f->get_u32("llama.context_length"), 0u) == 4096);
  CHECK(value_or(f->get_u32("t.u8"), 0u) == 200);
  CHECK(value_or(f->get_i32("t.i8"), 0) == -100);
  CHECK(value_or(f->get_u32("t.u16"), 0u) == 60000);
  CHECK(value_or(f->get_i32("t.i16"), 0) == -30000);
  CHECK(value_or(f->get_i32("t.i32"), 0) == -7);
  CHECK(value_or(f->get_f32("t.f32"), 0.f) == 0.5f);
  CHECK(value_or(f->get_bool("t.bool"), false));
  CHECK(value_or(f->get_u64("t.u64"), uint64_t{0}) == (uint64_t{1} << 40));
  CHECK(value_or(f->get_f32("t.f64"), 0.f) == 2.25f);
  const auto* i64 = f->find("t.i64");
  CHECK(i64 && i64->type() == ValueType::INT64 && i64->raw_i64() == -(int64_t{1} << 40));
}

CAPI_TEST(gguf_getter_errors_and_defaults) {
  const auto buf = capifuzz::sample_gguf();
  auto f = parse_ok(buf);
  if (!f) return;
  CHECK(f->find("no.such.key") == nullptr);
  CHECK(f->get_u32("no.such.key").status().code() == ErrorCode::GGUF_MISSING_KEY);
  CHECK(f->get_u32("no.such.key").status().message().find("no.such.key") != std::string::npos);
  CHECK(value_or(f->get_u32_or("no.such.key", 77u), 0u) == 77);
  CHECK(value_or(f->get_f32_or("no.such.key", 1.5f), 0.f) == 1.5f);
  CHECK(!value_or(f->get_bool_or("no.such.key", false), true));
  // Present with the wrong type is an error, even in the "or default" forms.
  CHECK(f->get_u32_or("general.architecture", 1).status().code() == ErrorCode::GGUF_BAD_METADATA);
  CHECK(f->get_string("t.u8").status().code() == ErrorCode::GGUF_BAD_METADATA);
  CHECK(f->get_bool("t.u8").status().code() == ErrorCode::GGUF_BAD_METADATA);
  CHECK(f->get_f32("t.u8").status().code() == ErrorCode::GGUF_BAD_METADATA);
  // Range checks across integer types.
  CHECK(f->get_u32("t.i8").status().code() == ErrorCode::GGUF_BAD_METADATA);  // negative
  CHECK(f->get_u32("t.u64").status().code() == ErrorCode::GGUF_BAD_METADATA);  // > u32
  CHECK(f->get_i32("t.u64").status().code() == ErrorCode::GGUF_BAD_METADATA);
  CHECK(f->get_u64("t.i64").status().code() == ErrorCode::GGUF_BAD_METADATA);
}

CAPI_TEST(gguf_arrays) {
  const auto buf = capifuzz::sample_gguf();
  auto f = parse_ok(buf);
  if (!f) return;
  auto tokens = f->get_string_array("tokenizer.ggml.tokens");
  CHECK(tokens.is_ok() && tokens.value().size() == 4);
  if (tokens) {
    CHECK(tokens.value()[0] == "<unk>");
    CHECK(tokens.value()[2] == "bc");
    CHECK(tokens.value()[3].empty());
  }
  auto scores = f->get_array<float>("tokenizer.ggml.scores");
  CHECK(scores.is_ok() && scores.value() == std::vector<float>({0.f, -1.f, -2.f, -3.f}));
  auto types = f->get_array<int32_t>("tokenizer.ggml.token_type");
  CHECK(types.is_ok() && types.value() == std::vector<int32_t>({2, 1, 1, 1}));
  auto u32s = f->get_array<uint32_t>("t.u32s");
  CHECK(u32s.is_ok() && u32s.value() == std::vector<uint32_t>({1, 4000000000u}));
  CHECK(f->get_array<int32_t>("t.u32s").status().code() == ErrorCode::GGUF_BAD_METADATA);  // 4e9 > i32
  CHECK(f->get_array<float>("tokenizer.ggml.tokens").status().code() == ErrorCode::GGUF_BAD_METADATA);
  CHECK(f->get_array<int32_t>("tokenizer.ggml.scores").status().code() == ErrorCode::GGUF_BAD_METADATA);
  CHECK(f->get_string_array("t.u32s").status().code() == ErrorCode::GGUF_BAD_METADATA);
  CHECK(f->get_array<float>("t.f32").status().code() == ErrorCode::GGUF_BAD_METADATA);
  const auto* nested = f->find("t.nested");
  CHECK(nested && nested->elem_type() == ValueType::ARRAY && nested->items().size() == 1);
  if (nested && nested->items().size() == 1) {
    const auto& inner = nested->items()[0].items()[0];
    CHECK(inner.elem_type() == ValueType::UINT8 && inner.size() == 1 && inner.elem<uint8_t>(0) == 7);
  }
}

CAPI_TEST(gguf_tensor_views) {
  const auto buf = capifuzz::sample_gguf();
  auto f = parse_ok(buf);
  if (!f) return;
  CHECK(f->tensors().size() == 6);
  CHECK(f->tensor("missing") == nullptr);
  const auto* q8 = f->tensor("q8_0.w");
  CHECK(q8 != nullptr);
  if (!q8) return;
  CHECK(q8->type == GgmlType::Q8_0);
  CHECK(q8->n_dims == 2 && q8->ne[0] == 32 && q8->ne[1] == 2 && q8->ne[2] == 1 && q8->ne[3] == 1);
  CHECK(q8->n_elements() == 64);
  CHECK(q8->nbytes == 68);
  CHECK(q8->offset % 32 == 0);
  CHECK(q8->data == buf.data() + f->data_offset() + q8->offset);  // zero-copy view
  CHECK(std::vector<uint8_t>(q8->data, q8->data + q8->nbytes) == capifuzz::pattern(68, 3));
  const auto* q4k = f->tensor("q4_K.w");
  CHECK(q4k && q4k->nbytes == 144 && q4k->data + q4k->nbytes <= buf.data() + buf.size());
  const auto* q51 = f->tensor("q5_1.w");
  CHECK(q51 && q51->type == GgmlType::Q5_1 && q51->nbytes == 48);
  const auto* iq4 = f->tensor("iq4_xs.w");
  CHECK(iq4 && iq4->type == GgmlType::IQ4_XS && iq4->nbytes == 136 && iq4->data + iq4->nbytes <= buf.data() + buf.size());
}

CAPI_TEST(gguf_versions_and_alignment) {
  const auto v2 = capifuzz::sample_gguf(2);
  CHECK(parse_ok(v2) != nullptr);
  const auto a128 = capifuzz::sample_gguf(3, 128);
  auto f = parse_ok(a128);
  CHECK(f && f->alignment() == 128 && f->data_offset() % 128 == 0);
  if (f)
    for (const auto& t : f->tensors()) CHECK(t.offset % 128 == 0);
  CHECK(parse_code(capifuzz::sample_gguf(1)) == ErrorCode::GGUF_UNSUPPORTED_VERSION);
  CHECK(parse_code(capifuzz::sample_gguf(4)) == ErrorCode::GGUF_UNSUPPORTED_VERSION);
  CHECK(parse_code(capifuzz::sample_gguf(3, 24)) == ErrorCode::GGUF_BAD_METADATA);  // not a power of two
  auto bad = capifuzz::sample_gguf();
  bad[0] = 'X';
  CHECK(parse_code(bad) == ErrorCode::GGUF_BAD_MAGIC);
}

// Every strict prefix that cuts into the header or tensor data is GGUF_TRUNCATED; a cut inside the
// final padding still leaves a valid file.
CAPI_TEST(gguf_every_prefix_is_truncated) {
  const auto buf = capifuzz::sample_gguf();
  auto f = parse_ok(buf);
  if (!f) return;
  uint64_t data_end = 0;
  for (const auto& t : f->tensors()) data_end = std::max<uint64_t>(data_end, f->data_offset() + t.offset + t.nbytes);
  int wrong = 0;
  for (size_t n = 0; n < buf.size(); ++n) {
    const std::vector<uint8_t> prefix(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(n));
    const ErrorCode expected = n < data_end ? ErrorCode::GGUF_TRUNCATED : ErrorCode::OK;
    if (parse_code(prefix) != expected && wrong++ < 3) std::printf("    prefix %zu\n", n);
  }
  CHECK(wrong == 0);
}

CAPI_TEST(gguf_structure_limits) {
  CHECK(parse_code(GgufBuilder().nested("deep", capibara::gguf::kMaxArrayNesting - 1).build()) == ErrorCode::OK);
  CHECK(parse_code(GgufBuilder().nested("deep", capibara::gguf::kMaxArrayNesting).build()) == ErrorCode::GGUF_BAD_METADATA);
  CHECK(parse_code(GgufBuilder().str("k", "a").str("k", "b").build()) == ErrorCode::GGUF_BAD_METADATA);
  CHECK(parse_code(GgufBuilder().tensor("t", GgmlType::F32, {1, 1, 1, 1, 1}, capifuzz::pattern(4, 0)).build()) ==
        ErrorCode::GGUF_BAD_TENSOR_SHAPE);
  // ne product overflows int64.
  CHECK(parse_code(GgufBuilder().tensor("t", GgmlType::F32, {int64_t{1} << 32, int64_t{1} << 32}, {}).build()) ==
        ErrorCode::GGUF_BAD_TENSOR_SHAPE);
  CHECK(parse_code(GgufBuilder().tensor("t", GgmlType::Q4_K, {128}, capifuzz::pattern(72, 0)).build()) ==
        ErrorCode::GGUF_BAD_TENSOR_SHAPE);
  CHECK(parse_code(GgufBuilder().tensor("t", static_cast<GgmlType>(4), {32}, capifuzz::pattern(32, 0)).build()) ==
        ErrorCode::GGUF_UNSUPPORTED_TYPE);  // Q4_2: removed from ggml
  // A zero-element tensor is valid and takes no bytes.
  CHECK(parse_code(GgufBuilder().tensor("t", GgmlType::F32, {0, 4}, {}).build()) == ErrorCode::OK);
}

CAPI_TEST(gguf_open_maps_a_file) {
  char path[] = "/tmp/capibara-gguf-test-XXXXXX";
  const int fd = mkstemp(path);
  CHECK(fd >= 0);
  if (fd < 0) return;
  const auto buf = capifuzz::sample_gguf();
  CHECK(write(fd, buf.data(), buf.size()) == static_cast<ssize_t>(buf.size()));
  close(fd);
  auto r = GgufFile::open(path);
  CHECK(r.is_ok());
  if (r) {
    const auto& f = *r.value();
    const auto* t = f.tensor("f16.w");
    CHECK(t && t->data == f.base() + f.data_offset() + t->offset);
    CHECK(t && std::vector<uint8_t>(t->data, t->data + t->nbytes) == capifuzz::pattern(16, 2));
    for (auto a : {capibara::gguf::Advice::WILLNEED, capibara::gguf::Advice::RANDOM, capibara::gguf::Advice::NORMAL})
      CHECK(f.advise(a).is_ok());
  }
  std::remove(path);
  auto missing = GgufFile::open(path);
  CHECK(missing.status().code() == ErrorCode::IO_ERROR);
  CHECK(missing.status().message().find(path) != std::string::npos);
  CHECK(GgufFile::open("/tmp").status().code() == ErrorCode::IO_ERROR);
}

// Short fuzz run (the full one is `npm run fuzz:gguf`): no crash, typed errors, views in bounds.
CAPI_TEST(gguf_fuzz_short) {
  const std::vector<std::vector<uint8_t>> seeds = {capifuzz::sample_gguf(), capifuzz::sample_gguf(2, 64)};
  std::vector<uint64_t> header_end;
  for (const auto& s : seeds) header_end.push_back(parse_ok(s)->data_offset());
  capifuzz::Mutator mutator(12345);
  uint64_t checksum = 0;
  int ok = 0, broken = 0;
  for (int i = 0; i < 2000; ++i) {
    const size_t k = static_cast<size_t>(i) % seeds.size();
    std::string why;
    const char* code = capifuzz::fuzz_one(mutator.mutate(seeds[k], header_end[k]), &checksum, &why);
    if (!code && broken++ < 3) std::printf("    iteration %d: %s\n", i, why.c_str());
    if (code && std::string(code) == "OK") ++ok;
  }
  CHECK(broken == 0);
  CHECK(ok > 0 && ok < 2000);  // the mutations reach both outcomes
}
