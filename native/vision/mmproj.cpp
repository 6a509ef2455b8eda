#include "vision/mmproj.h"

#include <cstring>

#include "gguf/reader.h"
#include "kernels/kernels.h"
#include "model/packed_weights.h"

namespace capibara::vision {

namespace {

enum class Use { Vector, Matrix, Any };

std::string shape_str(const int64_t* ne) {
  std::string s = "[";
  int n = 4;
  while (n > 1 && ne[n - 1] == 1) --n;
  for (int i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "]";
}

std::string blk(int64_t il, const char* suffix) { return "v.blk." + std::to_string(il) + "." + suffix; }

class Binder {
 public:
  Binder(const gguf::GgufFile& f, VisionWeights& w) : f_(f), w_(w) {}

  const gguf::TensorInfo* find(const std::string& name) const { return f_.tensor(name); }

  // Binds `name` after checking its shape (trailing 1s may be omitted) and type.
  Status bind(const std::string& name, std::initializer_list<int64_t> shape, Use use, Tensor* out) {
    const gguf::TensorInfo* t = f_.tensor(name);
    if (!t) return {ErrorCode::GGUF_MISSING_TENSOR, "mmproj tensor '" + name + "' is missing from the file"};
    int64_t want[4] = {1, 1, 1, 1};
    int i = 0;
    for (int64_t v : shape) want[i++] = v;
    for (int d = 0; d < 4; ++d)
      if (t->ne[d] != want[d])
        return {ErrorCode::GGUF_BAD_TENSOR_SHAPE,
                "mmproj tensor '" + name + "' has shape " + shape_str(t->ne) + ", expected " + shape_str(want)};
    const TypeKernels& k = kernels().type(t->type);
    const char* tname = ggml_type_traits(t->type).name;
    if (use == Use::Vector && t->type != GgmlType::F32)
      return {ErrorCode::UNSUPPORTED_QUANT, "mmproj tensor '" + name + "' must be f32, not " + tname};
    if (use == Use::Matrix && (!k.gemm || (!k.from_float && k.vec_dot_type != GgmlType::F32)))
      return {ErrorCode::UNSUPPORTED_QUANT, "mmproj tensor '" + name + "' has type " + tname + ", which has no matmul kernel"};
    if (use == Use::Any && !k.to_float)
      return {ErrorCode::UNSUPPORTED_QUANT, "mmproj tensor '" + name + "' has type " + tname + ", which cannot be dequantised"};
    out->data = t->data;
    out->type = t->type;
    for (int d = 0; d < 4; ++d) out->ne[d] = t->ne[d];
    w_.all.emplace_back(name, *out);
    return Status::ok();
  }

 private:
  const gguf::GgufFile& f_;
  VisionWeights& w_;
};

Result<int64_t> get_dim(const gguf::GgufFile& f, const char* key) {
  auto v = f.get_u32(key);
  if (!v) return v.status();
  if (v.value() == 0 || v.value() > (1u << 20))
    return Status(ErrorCode::GGUF_BAD_METADATA, std::string("metadata key '") + key + "' is out of range: " + std::to_string(v.value()));
  return static_cast<int64_t>(v.value());
}

Status read_config(const gguf::GgufFile& f, VisionConfig& c) {
  auto arch = f.get_string("general.architecture");
  if (!arch) return arch.status();
  if (arch.value() != "clip")
    return {ErrorCode::UNSUPPORTED_ARCH, "not a vision projector: general.architecture is '" + std::string(arch.value()) + "', expected 'clip'"};
  auto has_vision = f.get_bool_or("clip.has_vision_encoder", false);
  if (!has_vision) return has_vision.status();
  if (!has_vision.value()) return {ErrorCode::UNSUPPORTED_ARCH, "the mmproj file has no vision encoder (clip.has_vision_encoder)"};
  // Files for several modalities name the vision projector separately.
  const char* key = f.find("clip.vision.projector_type") ? "clip.vision.projector_type" : "clip.projector_type";
  auto proj = f.get_string(key);
  if (!proj) return proj.status();
  c.projector = std::string(proj.value());
  if (c.projector != "gemma3")
    return {ErrorCode::UNSUPPORTED_ARCH, "unsupported vision projector type '" + c.projector + "' (supported: gemma3)"};
  struct Dim {
    const char* key;
    int64_t* out;
  };
  for (Dim d : {Dim{"clip.vision.image_size", &c.image_size}, Dim{"clip.vision.patch_size", &c.patch_size},
                Dim{"clip.vision.embedding_length", &c.n_embd}, Dim{"clip.vision.feed_forward_length", &c.n_ff},
                Dim{"clip.vision.block_count", &c.n_layer}, Dim{"clip.vision.attention.head_count", &c.n_head},
                Dim{"clip.vision.projection_dim", &c.proj_dim}}) {
    auto v = get_dim(f, d.key);
    if (!v) return v.status();
    *d.out = v.value();
  }
  auto merge = f.get_u32_or("clip.vision.projector.scale_factor", 4);
  if (!merge) return merge.status();
  c.merge = merge.value();
  auto eps = f.get_f32_or("clip.vision.attention.layer_norm_epsilon", 1e-6f);
  if (!eps) return eps.status();
  c.eps = eps.value();
  struct Triple {
    const char* key;
    float* out;
  };
  for (Triple t : {Triple{"clip.vision.image_mean", c.mean}, Triple{"clip.vision.image_std", c.std}}) {
    auto a = f.get_array<float>(t.key);
    if (!a) return a.status();
    if (a.value().size() != 3)
      return {ErrorCode::GGUF_BAD_METADATA, std::string("metadata key '") + t.key + "' must hold 3 values, not " + std::to_string(a.value().size())};
    for (int i = 0; i < 3; ++i) t.out[i] = a.value()[i];
  }
  for (int i = 0; i < 3; ++i)
    if (!(c.std[i] > 0.0f)) return {ErrorCode::GGUF_BAD_METADATA, "clip.vision.image_std values must be positive"};
  const auto bad = [](const std::string& why) { return Status(ErrorCode::GGUF_BAD_METADATA, "mmproj: " + why); };
  if (c.image_size % c.patch_size) return bad("image_size " + std::to_string(c.image_size) + " is not a multiple of patch_size " + std::to_string(c.patch_size));
  if (c.n_embd % c.n_head) return bad("embedding_length is not a multiple of head_count");
  if (c.merge == 0 || c.side() % c.merge)
    return bad("projector.scale_factor " + std::to_string(c.merge) + " does not divide the " + std::to_string(c.side()) + " patches per side");
  return Status::ok();
}

// The file stores mm.input_projection input-major ({proj_dim, n_embd}: row e holds e's weight for
// every output); our matmul wants one row per output, so it is transposed once here. Plain float
// types keep their type; quantised ones are dequantised to F32 first.
Status transpose_projection(const Tensor& src, VisionWeights& w) {
  const int64_t P = src.ne[0], E = src.ne[1];
  Tensor& t = w.proj;
  t.ne[0] = E;
  t.ne[1] = P;
  if (src.type == GgmlType::F32 || src.type == GgmlType::F16 || src.type == GgmlType::BF16) {
    const size_t es = src.type == GgmlType::F32 ? 4 : 2;
    w.proj_copy.resize(static_cast<size_t>(P * E) * es);
    const uint8_t* s = static_cast<const uint8_t*>(src.data);
    for (int64_t e = 0; e < E; ++e)
      for (int64_t p = 0; p < P; ++p) std::memcpy(&w.proj_copy[(p * E + e) * es], s + (e * P + p) * es, es);
    t.type = src.type;
  } else {
    std::vector<float> row(P);
    w.proj_copy.resize(static_cast<size_t>(P * E) * sizeof(float));
    float* d = reinterpret_cast<float*>(w.proj_copy.data());
    for (int64_t e = 0; e < E; ++e) {
      kernels().type(src.type).to_float(static_cast<const uint8_t*>(src.data) + e * src.row_bytes(), row.data(), P);
      for (int64_t p = 0; p < P; ++p) d[p * E + e] = row[p];
    }
    t.type = GgmlType::F32;
  }
  t.data = w.proj_copy.data();
  return Status::ok();
}

Status bind_all(const gguf::GgufFile& f, const VisionConfig& c, VisionWeights& w) {
  Binder b(f, w);
  const int64_t E = c.n_embd, F = c.n_ff, P = c.patch_size;
  Tensor patch;
  CAPIBARA_RETURN_IF_ERROR(b.bind("v.patch_embd.weight", {P, P, 3, E}, Use::Matrix, &patch));
  w.patch_w = patch;
  w.patch_w.ne[0] = c.patch_dim();
  w.patch_w.ne[1] = E;
  w.patch_w.ne[2] = w.patch_w.ne[3] = 1;
  CAPIBARA_RETURN_IF_ERROR(b.bind("v.patch_embd.bias", {E}, Use::Vector, &w.patch_b));
  Tensor pos;
  CAPIBARA_RETURN_IF_ERROR(b.bind("v.position_embd.weight", {E, c.n_patches()}, Use::Any, &pos));
  if (pos.type == GgmlType::F32) {
    w.pos = pos;
  } else {
    w.pos_copy.resize(static_cast<size_t>(E * c.n_patches()));
    for (int64_t p = 0; p < c.n_patches(); ++p)
      kernels().type(pos.type).to_float(static_cast<const uint8_t*>(pos.data) + p * pos.row_bytes(), &w.pos_copy[p * E], E);
    w.pos = pos;
    w.pos.type = GgmlType::F32;
    w.pos.data = w.pos_copy.data();
  }
  w.layers.resize(c.n_layer);
  for (int64_t il = 0; il < c.n_layer; ++il) {
    VisionLayer& l = w.layers[il];
    struct Vec {
      const char* name;
      Tensor* out;
    };
    for (Vec v : {Vec{"ln1.weight", &l.ln1_w}, Vec{"ln1.bias", &l.ln1_b}, Vec{"ln2.weight", &l.ln2_w}, Vec{"ln2.bias", &l.ln2_b},
                  Vec{"attn_q.bias", &l.q_b}, Vec{"attn_k.bias", &l.k_b}, Vec{"attn_v.bias", &l.v_b}, Vec{"attn_out.bias", &l.o_b}})
      CAPIBARA_RETURN_IF_ERROR(b.bind(blk(il, v.name), {E}, Use::Vector, v.out));
    for (Vec v : {Vec{"attn_q.weight", &l.q_w}, Vec{"attn_k.weight", &l.k_w}, Vec{"attn_v.weight", &l.v_w}, Vec{"attn_out.weight", &l.o_w}})
      CAPIBARA_RETURN_IF_ERROR(b.bind(blk(il, v.name), {E, E}, Use::Matrix, v.out));
    // Older converters wrote ffn_up and ffn_down under each other's names; like llama.cpp, tell
    // them apart by shape: the up projection is the one whose rows have n_embd elements.
    const gguf::TensorInfo* down = b.find(blk(il, "ffn_down.weight"));
    const bool swapped = down && down->ne[0] == E && down->ne[1] == F && E != F;
    const char* up_name = swapped ? "ffn_down" : "ffn_up";
    const char* down_name = swapped ? "ffn_up" : "ffn_down";
    CAPIBARA_RETURN_IF_ERROR(b.bind(blk(il, (std::string(up_name) + ".weight").c_str()), {E, F}, Use::Matrix, &l.up_w));
    CAPIBARA_RETURN_IF_ERROR(b.bind(blk(il, (std::string(up_name) + ".bias").c_str()), {F}, Use::Vector, &l.up_b));
    CAPIBARA_RETURN_IF_ERROR(b.bind(blk(il, (std::string(down_name) + ".weight").c_str()), {F, E}, Use::Matrix, &l.down_w));
    CAPIBARA_RETURN_IF_ERROR(b.bind(blk(il, (std::string(down_name) + ".bias").c_str()), {E}, Use::Vector, &l.down_b));
  }
  CAPIBARA_RETURN_IF_ERROR(b.bind("v.post_ln.weight", {E}, Use::Vector, &w.post_w));
  CAPIBARA_RETURN_IF_ERROR(b.bind("v.post_ln.bias", {E}, Use::Vector, &w.post_b));
  CAPIBARA_RETURN_IF_ERROR(b.bind("mm.soft_emb_norm.weight", {E}, Use::Vector, &w.soft_norm));
  Tensor proj;
  CAPIBARA_RETURN_IF_ERROR(b.bind("mm.input_projection.weight", {c.proj_dim, E}, Use::Any, &proj));
  return transpose_projection(proj, w);
}

}  // namespace

VisionModel::~VisionModel() = default;

Result<std::unique_ptr<VisionModel>> VisionModel::load(const std::string& path, bool repack) {
  auto f = gguf::GgufFile::open(path);
  if (!f) return f.status();
  return from_file(f.take(), repack);
}

Result<std::unique_ptr<VisionModel>> VisionModel::from_file(std::unique_ptr<gguf::GgufFile> file, bool repack) {
  std::unique_ptr<VisionModel> m(new VisionModel());
  CAPIBARA_RETURN_IF_ERROR(read_config(*file, m->cfg_));
  CAPIBARA_RETURN_IF_ERROR(bind_all(*file, m->cfg_, m->w_));
  if (repack) {
    // The matrices that view the file (not the transposed projection, which is our own copy).
    std::vector<Tensor*> mats{&m->w_.patch_w};
    for (VisionLayer& l : m->w_.layers)
      for (Tensor* t : {&l.q_w, &l.k_w, &l.v_w, &l.o_w, &l.up_w, &l.down_w}) mats.push_back(t);
    auto packed = model::PackedWeights::pack(mats, *file, kernels());
    if (!packed) return packed.status();
    m->packed_ = packed.take();
  }
  m->file_ = std::move(file);
  return m;
}

size_t VisionModel::weight_bytes() const {
  size_t n = w_.proj_copy.size() + w_.pos_copy.size() * sizeof(float);
  for (const auto& [name, t] : w_.all) n += t.row_bytes() * static_cast<size_t>(t.ne[1] * t.ne[2] * t.ne[3]);
  return n;
}

}  // namespace capibara::vision
