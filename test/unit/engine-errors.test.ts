/** Typed errors of loadModel for files that are not runnable models. */
import { describe, expect, test } from "vitest";
import { GgufFormatError, InvalidArgumentError, UnsupportedArchError, loadModel } from "../../lib/index.js";
import { buildModel } from "../fixtures/recipes.js";

describe("loadModel errors", () => {
  test("an unknown architecture is UNSUPPORTED_ARCH naming it", async () => {
    const path = await buildModel("llama", "f32", { tag: "mamba", defect: { archString: "mamba" } });
    const err = await loadModel(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedArchError);
    expect(err).toMatchObject({ code: "UNSUPPORTED_ARCH", message: expect.stringContaining("'mamba'") });
  });

  test("a mixture-of-experts file is UNSUPPORTED_ARCH, not a confusing missing tensor", async () => {
    const path = await buildModel("llama", "f32", { tag: "moe", defect: { u32: { "llama.expert_count": 8, "llama.expert_used_count": 2 } } });
    await expect(loadModel(path)).rejects.toMatchObject({ code: "UNSUPPORTED_ARCH", message: expect.stringContaining("8 experts") });
  });

  test("a tensor the architecture does not use is refused, not ignored", async () => {
    const path = await buildModel("qwen2", "f32", { tag: "ffn-bias", defect: { extra: { name: "blk.0.ffn_up.bias", shape: [512] } } });
    await expect(loadModel(path)).rejects.toMatchObject({ code: "UNSUPPORTED_ARCH", message: expect.stringContaining("blk.0.ffn_up.bias") });
  });

  test("a missing tensor is GGUF_MISSING_TENSOR naming it", async () => {
    const path = await buildModel("qwen2", "f32", { tag: "no-ffn-down", defect: { omit: "blk.1.ffn_down.weight" } });
    const err = await loadModel(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GgufFormatError);
    expect(err).toMatchObject({ code: "GGUF_MISSING_TENSOR", message: expect.stringContaining("blk.1.ffn_down.weight") });
  });

  test("a tensor of the wrong shape is GGUF_BAD_TENSOR_SHAPE naming it", async () => {
    const path = await buildModel("gemma3", "f32", { tag: "bad-qnorm", defect: { reshape: { name: "blk.0.attn_q_norm.weight", shape: [32] } } });
    const err = await loadModel(path).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "GGUF_BAD_TENSOR_SHAPE", message: expect.stringContaining("blk.0.attn_q_norm.weight") });
  });

  test("bad options are INVALID_ARGUMENT; a missing file is IO_ERROR", async () => {
    await expect(loadModel("x.gguf", { threads: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(loadModel("/nonexistent/model.gguf")).rejects.toMatchObject({ code: "IO_ERROR" });
  });
});
