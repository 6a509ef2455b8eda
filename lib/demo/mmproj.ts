/**
 * Random-weight Gemma 3 vision projectors (llama.cpp `mmproj` layout): the demo multimodal expert's
 * projector, test fixtures and the encoder benchmark's full-size file. The output is noise.
 * @module
 */
import { GgufWriter } from "../gguf/writer.js";
import type { GgmlTypeName } from "../gguf/types.js";

/** Shape and storage of a random mmproj file. */
export interface MmprojSpec {
  imageSize: number;
  patchSize: number;
  /** Width of the vision tower. */
  embeddingSize: number;
  feedForwardSize: number;
  layers: number;
  heads: number;
  /** Width of the projected tokens: the text model's embedding size. */
  projectionDim: number;
  /** `clip.vision.projector.scale_factor`; omitted from the file when undefined (llama.cpp's default 4). */
  scaleFactor?: number;
  /** Storage of the weight matrices (vectors stay f32; q8_0 falls back to f16 for rows not a multiple of 32). Default f16. */
  type?: "f32" | "f16" | "q8_0";
  seed?: number;
  /** `clip.projector_type`; default gemma3. */
  projectorType?: string;
  /** Write ffn_up under the name ffn_down and back, as older converters did. */
  swapFfnNames?: boolean;
  /** Tensors to leave out (tests of the loader's errors). */
  omit?: readonly string[];
  /** Shapes to write instead of the right ones (tests of the loader's errors). */
  shapes?: Readonly<Record<string, readonly number[]>>;
}

/** The 27B Gemma 3 projector's shape (SigLIP so400m at 896 px, 27 blocks of 1152). */
export const GEMMA3_27B_MMPROJ: MmprojSpec = {
  imageSize: 896,
  patchSize: 14,
  embeddingSize: 1152,
  feedForwardSize: 4304,
  layers: 27,
  heads: 16,
  projectionDim: 5376,
  type: "f16",
};

/** Deterministic uniform values in [-scale, scale) (mulberry32). */
function randomValues(n: number, seed: number, scale: number, offset = 0): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = offset + ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** Writes a random mmproj GGUF file to `path`. */
export async function writeRandomMmproj(path: string, spec: MmprojSpec): Promise<void> {
  const s = spec;
  const E = s.embeddingSize, F = s.feedForwardSize, P = s.patchSize;
  const nPatches = (s.imageSize / P) ** 2;
  const w = new GgufWriter();
  w.setString("general.architecture", "clip");
  w.setString("general.type", "mmproj");
  w.setString("general.name", `random-${s.projectorType ?? "gemma3"}-mmproj-${s.imageSize}px-${E}d-${s.layers}L`);
  w.setString("clip.projector_type", s.projectorType ?? "gemma3");
  w.setBool("clip.has_vision_encoder", true);
  w.setBool("clip.use_gelu", true);
  w.set("clip.vision.image_size", "u32", s.imageSize);
  w.set("clip.vision.patch_size", "u32", P);
  w.set("clip.vision.embedding_length", "u32", E);
  w.set("clip.vision.feed_forward_length", "u32", F);
  w.set("clip.vision.block_count", "u32", s.layers);
  w.set("clip.vision.attention.head_count", "u32", s.heads);
  w.set("clip.vision.attention.layer_norm_epsilon", "f32", 1e-6);
  w.set("clip.vision.projection_dim", "u32", s.projectionDim);
  if (s.scaleFactor !== undefined) w.set("clip.vision.projector.scale_factor", "u32", s.scaleFactor);
  w.setArray("clip.vision.image_mean", "f32", [0.5, 0.5, 0.5]);
  w.setArray("clip.vision.image_std", "f32", [0.5, 0.5, 0.5]);
  let seed = s.seed ?? 1;
  const matType = (rowLength: number): GgmlTypeName => {
    const t = s.type ?? "f16";
    return t === "q8_0" && rowLength % 32 !== 0 ? "f16" : t;
  };
  const add = (name: string, shape: number[], kind: "matrix" | "vector" | "norm", scale: number) => {
    if (s.omit?.includes(name)) return;
    const sh = [...(s.shapes?.[name] ?? shape)];
    const n = sh.reduce((a, b) => a * b, 1);
    const mySeed = seed++;
    w.addTensor(name, {
      type: kind === "matrix" ? matType(sh[0]!) : "f32",
      shape: sh,
      data: () => randomValues(n, mySeed, scale, kind === "norm" ? 1 : 0),
    });
  };
  add("v.patch_embd.weight", [P, P, 3, E], "matrix", 1 / Math.sqrt(3 * P * P));
  add("v.patch_embd.bias", [E], "vector", 0.02);
  add("v.position_embd.weight", [E, nPatches], "matrix", 0.1);
  for (let il = 0; il < s.layers; il++) {
    const b = `v.blk.${il}.`;
    for (const ln of ["ln1", "ln2"]) {
      add(`${b}${ln}.weight`, [E], "norm", 0.1);
      add(`${b}${ln}.bias`, [E], "vector", 0.02);
    }
    for (const m of ["attn_q", "attn_k", "attn_v", "attn_out"]) {
      add(`${b}${m}.weight`, [E, E], "matrix", 1 / Math.sqrt(E));
      add(`${b}${m}.bias`, [E], "vector", 0.02);
    }
    const [up, down] = s.swapFfnNames ? ["ffn_down", "ffn_up"] : ["ffn_up", "ffn_down"];
    add(`${b}${up}.weight`, [E, F], "matrix", 1 / Math.sqrt(E));
    add(`${b}${up}.bias`, [F], "vector", 0.02);
    add(`${b}${down}.weight`, [F, E], "matrix", 1 / Math.sqrt(F));
    add(`${b}${down}.bias`, [E], "vector", 0.02);
  }
  add("v.post_ln.weight", [E], "norm", 0.1);
  add("v.post_ln.bias", [E], "vector", 0.02);
  add("mm.soft_emb_norm.weight", [E], "norm", 0.1);
  add("mm.input_projection.weight", [s.projectionDim, E], "matrix", 1 / Math.sqrt(E));
  await w.write(path);
}
