// TokenizerData from a GGUF file's `tokenizer.ggml.*` metadata (and general.name).
#include "gguf/reader.h"
#include "tokenizer/tokenizer.h"

namespace capibara::tokenizer {

namespace {

Status bad_type(std::string_view key, const char* want) {
  return Status(ErrorCode::GGUF_BAD_METADATA, "metadata key '" + std::string(key) + "' must be " + want);
}

Status opt_id(const gguf::GgufFile& f, std::string_view key, std::optional<int32_t>& out) {
  const gguf::Value* v = f.find(key);
  if (!v) return Status::ok();
  uint32_t id;
  if (!v->to_int(&id)) return bad_type(key, "an unsigned 32-bit integer");
  // llama.cpp ignores out-of-range ids (Tokenizer drops them too); keep int32 range here.
  out = id > static_cast<uint32_t>(INT32_MAX) ? -1 : static_cast<int32_t>(id);
  return Status::ok();
}

Status opt_bool(const gguf::GgufFile& f, std::string_view key, std::optional<bool>& out) {
  const gguf::Value* v = f.find(key);
  if (!v) return Status::ok();
  if (v->type() != gguf::ValueType::BOOL) return bad_type(key, "a bool");
  out = v->raw_bool();
  return Status::ok();
}

Status opt_string(const gguf::GgufFile& f, std::string_view key, std::string& out) {
  const gguf::Value* v = f.find(key);
  if (!v) return Status::ok();
  if (v->type() != gguf::ValueType::STRING) return bad_type(key, "a string");
  out = std::string(v->str());
  return Status::ok();
}

Status string_array(const gguf::GgufFile& f, std::string_view key, std::vector<std::string>& out) {
  Result<gguf::Span<std::string_view>> r = f.get_string_array(key);
  if (!r) return r.status();
  out.reserve(r.value().size());
  for (std::string_view s : r.value()) out.emplace_back(s);
  return Status::ok();
}

}  // namespace

Result<TokenizerData> tokenizer_data_from_gguf(const gguf::GgufFile& f) {
  TokenizerData d;
  Result<std::string_view> model = f.get_string("tokenizer.ggml.model");
  if (!model) return model.status();
  d.model = std::string(model.value());
  CAPIBARA_RETURN_IF_ERROR(opt_string(f, "tokenizer.ggml.pre", d.pre));
  CAPIBARA_RETURN_IF_ERROR(opt_string(f, "general.name", d.model_name));
  CAPIBARA_RETURN_IF_ERROR(opt_string(f, "tokenizer.chat_template", d.chat_template));
  CAPIBARA_RETURN_IF_ERROR(string_array(f, "tokenizer.ggml.tokens", d.tokens));
  if (f.find("tokenizer.ggml.merges")) CAPIBARA_RETURN_IF_ERROR(string_array(f, "tokenizer.ggml.merges", d.merges));
  if (f.find("tokenizer.ggml.scores")) {
    Result<std::vector<float>> s = f.get_array<float>("tokenizer.ggml.scores");
    if (!s) {
      // llama.cpp also accepts int32 scores.
      Result<std::vector<int32_t>> si = f.get_array<int32_t>("tokenizer.ggml.scores");
      if (!si) return s.status();
      d.scores.assign(si.value().begin(), si.value().end());
    } else {
      d.scores = s.take();
    }
  }
  if (f.find("tokenizer.ggml.token_type")) {
    Result<std::vector<int32_t>> t = f.get_array<int32_t>("tokenizer.ggml.token_type");
    if (!t) return t.status();
    d.token_types = t.take();
  }
  const std::pair<const char*, std::optional<int32_t>*> ids[] = {
      {"tokenizer.ggml.bos_token_id", &d.bos_id},      {"tokenizer.ggml.eos_token_id", &d.eos_id},
      {"tokenizer.ggml.eot_token_id", &d.eot_id},      {"tokenizer.ggml.eom_token_id", &d.eom_id},
      {"tokenizer.ggml.unknown_token_id", &d.unk_id},  {"tokenizer.ggml.seperator_token_id", &d.sep_id},
      {"tokenizer.ggml.padding_token_id", &d.pad_id},
  };
  for (const auto& [key, out] : ids) CAPIBARA_RETURN_IF_ERROR(opt_id(f, key, *out));
  CAPIBARA_RETURN_IF_ERROR(opt_bool(f, "tokenizer.ggml.add_bos_token", d.add_bos));
  CAPIBARA_RETURN_IF_ERROR(opt_bool(f, "tokenizer.ggml.add_eos_token", d.add_eos));
  CAPIBARA_RETURN_IF_ERROR(opt_bool(f, "tokenizer.ggml.add_space_prefix", d.add_space_prefix));
  return d;
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const gguf::GgufFile& f) {
  Result<TokenizerData> d = tokenizer_data_from_gguf(f);
  if (!d) return d.status();
  return create(d.take());
}

}  // namespace capibara::tokenizer
