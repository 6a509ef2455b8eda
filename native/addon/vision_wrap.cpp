// Vision glue: load an mmproj file, its facts, preprocessing and encoding (both off the JS thread).
#include <memory>
#include <string>
#include <vector>

#include "addon/convert.h"
#include "addon/modules.h"
#include "addon/promise_worker.h"
#include "vision/encoder.h"
#include "vision/mmproj.h"
#include "vision/preprocess.h"

namespace capibara::addon {

namespace {

constexpr napi_type_tag kVisionTag = {0x6361706962617261ULL, 0x766973696f6e3031ULL};

// close() empties `model`; running jobs hold their own reference.
struct VisionBox {
  std::shared_ptr<const vision::VisionModel> model;
};

std::shared_ptr<const vision::VisionModel> open_vision(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || !info[i].IsExternal() || !info[i].As<Napi::External<VisionBox>>().CheckTypeTag(&kVisionTag))
    throw_invalid(info.Env(), "expected a vision projector handle");
  VisionBox& box = *info[i].As<Napi::External<VisionBox>>().Data();
  if (!box.model) throw_status(info.Env(), Status(ErrorCode::MODEL_CLOSED, "the vision projector was closed"));
  return box.model;
}

Napi::Float32Array to_f32(Napi::Env env, const std::vector<float>& v) {
  Napi::Float32Array a = Napi::Float32Array::New(env, v.size());
  std::copy(v.begin(), v.end(), a.Data());
  return a;
}

// loadVision(path): Promise<handle>.
Napi::Value load(const Napi::CallbackInfo& info) {
  const std::string path = arg_string(info, 0, "path");
  using Ptr = std::shared_ptr<const vision::VisionModel>;
  return PromiseWorker<Ptr>::run(
      info.Env(), "capibara.loadVision",
      [path]() -> Result<Ptr> {
        auto m = vision::VisionModel::load(path);
        if (!m) return m.status();
        return Ptr(m.take());
      },
      [](Napi::Env env, Ptr& m) -> Napi::Value {
        auto ext = Napi::External<VisionBox>::New(env, new VisionBox{std::move(m)}, [](Napi::Env, VisionBox* b) { delete b; });
        ext.TypeTag(&kVisionTag);
        return ext;
      });
}

Napi::Value info_of(const Napi::CallbackInfo& info) {
  const auto m = open_vision(info, 0);
  const vision::VisionConfig& c = m->config();
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("projector", c.projector);
  o.Set("imageSize", static_cast<double>(c.image_size));
  o.Set("patchSize", static_cast<double>(c.patch_size));
  o.Set("embeddingSize", static_cast<double>(c.n_embd));
  o.Set("feedForwardSize", static_cast<double>(c.n_ff));
  o.Set("layers", static_cast<double>(c.n_layer));
  o.Set("heads", static_cast<double>(c.n_head));
  o.Set("projectionDim", static_cast<double>(c.proj_dim));
  o.Set("tokensPerImage", static_cast<double>(c.n_tokens()));
  o.Set("weightBytes", static_cast<double>(m->weight_bytes()));
  o.Set("activationBytes", static_cast<double>(vision::encode_activation_bytes(c)));
  Napi::Array mean = Napi::Array::New(env, 3), stdv = Napi::Array::New(env, 3);
  for (uint32_t i = 0; i < 3; ++i) {
    mean.Set(i, static_cast<double>(c.mean[i]));
    stdv.Set(i, static_cast<double>(c.std[i]));
  }
  o.Set("imageMean", mean);
  o.Set("imageStd", stdv);
  return o;
}

// preprocessImage(handle, rgb: Uint8Array [h][w][3], width, height): Promise<Float32Array [3][S][S]>.
Napi::Value preprocess(const Napi::CallbackInfo& info) {
  auto m = open_vision(info, 0);
  Napi::Uint8Array rgb = arg_u8(info, 1, "rgb");
  const int64_t w = arg_int(info, 2, "width"), h = arg_int(info, 3, "height");
  if (w <= 0 || h <= 0 || static_cast<double>(w) * static_cast<double>(h) * 3 != static_cast<double>(rgb.ElementLength()))
    throw_invalid(info.Env(), "rgb must hold width * height * 3 bytes");
  std::vector<uint8_t> bytes(rgb.Data(), rgb.Data() + rgb.ElementLength());  // the JS buffer may change meanwhile
  return PromiseWorker<std::vector<float>>::run(
      info.Env(), "capibara.preprocessImage",
      [m, bytes = std::move(bytes), w, h]() -> Result<std::vector<float>> {
        const int64_t S = m->config().image_size;
        std::vector<float> out(static_cast<size_t>(3 * S * S));
        Status st = vision::preprocess_rgb(m->config(), bytes.data(), w, h, out.data());
        if (!st) return st;
        return out;
      },
      [](Napi::Env env, std::vector<float>& v) -> Napi::Value { return to_f32(env, v); });
}

// encodeImage(handle, planar: Float32Array [3][S][S], threads): Promise<Float32Array [n_tokens][proj_dim]>.
Napi::Value encode(const Napi::CallbackInfo& info) {
  auto m = open_vision(info, 0);
  Napi::Float32Array img = arg_f32(info, 1, "image");
  const int64_t threads = arg_int(info, 2, "threads");
  const vision::VisionConfig& c = m->config();
  const size_t want = static_cast<size_t>(3 * c.image_size * c.image_size);
  if (img.ElementLength() != want)
    throw_invalid(info.Env(), "image must hold 3 x " + std::to_string(c.image_size) + " x " + std::to_string(c.image_size) +
                                  " floats, got " + std::to_string(img.ElementLength()));
  if (threads < 1 || threads > 256) throw_invalid(info.Env(), "threads must be in [1, 256]");
  std::vector<float> pixels(img.Data(), img.Data() + want);
  return PromiseWorker<std::vector<float>>::run(
      info.Env(), "capibara.encodeImage",
      [m, pixels = std::move(pixels), threads]() -> Result<std::vector<float>> {
        const vision::VisionConfig& cc = m->config();
        std::vector<float> out(static_cast<size_t>(cc.n_tokens() * cc.proj_dim));
        Status st = vision::encode_image(*m, pixels.data(), static_cast<int>(threads), out.data());
        if (!st) return st;
        return out;
      },
      [](Napi::Env env, std::vector<float>& v) -> Napi::Value { return to_f32(env, v); });
}

Napi::Value close(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal() || !info[0].As<Napi::External<VisionBox>>().CheckTypeTag(&kVisionTag))
    throw_invalid(info.Env(), "expected a vision projector handle");
  info[0].As<Napi::External<VisionBox>>().Data()->model.reset();
  return info.Env().Undefined();
}

}  // namespace

void init_vision(Napi::Env env, Napi::Object exports) {
  Napi::Object e = exports.Has("engine") ? exports.Get("engine").As<Napi::Object>() : Napi::Object::New(env);
  e.Set("loadVision", Napi::Function::New(env, load, "loadVision"));
  e.Set("visionInfo", Napi::Function::New(env, info_of, "visionInfo"));
  e.Set("preprocessImage", Napi::Function::New(env, preprocess, "preprocessImage"));
  e.Set("encodeImage", Napi::Function::New(env, encode, "encodeImage"));
  e.Set("closeVision", Napi::Function::New(env, close, "closeVision"));
  exports.Set("engine", e);
}

}  // namespace capibara::addon
