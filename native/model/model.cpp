#include "model/model.h"

#include <string_view>
#include <unordered_set>

#include "gguf/reader.h"
#include "kernels/kernels.h"
#include "model/packed_weights.h"

namespace capibara::model {

Model::~Model() = default;

Result<std::unique_ptr<Model>> Model::load(const std::string& path, const LoadOptions& opts) {
  auto file = gguf::GgufFile::open(path);
  if (!file) return file.status();
  return from_file(file.take(), opts);
}

Result<std::unique_ptr<Model>> Model::from_file(std::unique_ptr<gguf::GgufFile> file, const LoadOptions& opts) {
  auto arch = file->get_string("general.architecture");
  if (!arch) return arch.status();
  const std::string arch_name(arch.value());
  const ArchSpec* spec = find_arch(arch_name);
  if (!spec) {
    std::string known;
    for (const auto& a : architectures()) known += (known.empty() ? "" : ", ") + a;
    return Status(ErrorCode::UNSUPPORTED_ARCH, "architecture '" + arch_name + "' is not supported (supported: " + known + ")");
  }
  std::unique_ptr<Model> m(new Model());
  m->cfg_.arch = arch_name;
  if (const gguf::Value* name = file->find("general.name"); name && name->type() == gguf::ValueType::STRING)
    m->cfg_.name = std::string(name->str());
  CAPIBARA_RETURN_IF_ERROR(read_config(ArchKeys(*file, arch_name), *spec, m->cfg_));
  // The vocabulary size is the embedding matrix's row count (the tokenizer checks its own list).
  const gguf::TensorInfo* embd = file->tensor("token_embd.weight");
  if (!embd) return Status(ErrorCode::GGUF_MISSING_TENSOR, "tensor 'token_embd.weight' is missing from the file");
  m->cfg_.n_vocab = embd->ne[1];
  auto w = load_weights(*file, m->cfg_, spec->tensors);
  if (!w) return w.status();
  m->w_ = w.take();
  // A tensor no slot took (a bias, an expert...) would be silently ignored and the output wrong;
  // llama.cpp refuses such files too ("wrong number of tensors").
  std::unordered_set<std::string_view> bound;
  for (const auto& [name, t] : m->w_.all) bound.insert(name);
  for (const gguf::TensorInfo& t : file->tensors())
    if (!bound.count(t.name))
      return Status(ErrorCode::UNSUPPORTED_ARCH, "tensor '" + std::string(t.name) + "' is not used by the " + arch_name +
                                                     " runner (an unsupported variant of the architecture)");
  if (opts.repack) {
    auto packed = PackedWeights::pack(m->w_, *file, kernels());
    if (!packed) return packed.status();
    m->packed_ = packed.take();
  }
  m->file_ = std::move(file);
  return m;
}

size_t Model::packed_bytes() const { return packed_ ? packed_->bytes() : 0; }

size_t Model::resident_bytes() const { return file_->resident_bytes() + packed_bytes(); }

int64_t Model::parameters() const {
  int64_t n = 0;
  for (const auto& [name, t] : w_.all) n += t.ne[0] * t.ne[1] * t.ne[2] * t.ne[3];
  return n;
}

}  // namespace capibara::model
