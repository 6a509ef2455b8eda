/**
 * GGUF conversion for the golden tests, and the real trained model of the shared folder (`../shared/models/stories260K.gguf`, see its README) and
 * variants of it that capibara's GGUF writer makes: every matrix whose rows divide into the type's
 * blocks is converted, the rest (the 172-long `ffn_down` rows, norms) stays F32, as llama-quantize
 * falls back.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GGML_TYPES, GgufWriter, inspectGguf, type GgmlTypeName, type GgufScalarType, type GgufTensorInfo, type GgufValue } from "../../lib/gguf/index.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const FILE = "models/stories260K.gguf";

/** Where the model may be: beside this checkout, or (in a git worktree) beside the main checkout. */
function candidates(): string[] {
  const paths = [resolve(ROOT, "../shared", FILE)];
  try {
    const common = execFileSync("git", ["rev-parse", "--path-format=absolute", "--git-common-dir"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    paths.push(resolve(dirname(common), "../shared", FILE));
  } catch {
    // Not a git checkout: only the sibling folder applies.
  }
  return [...new Set(paths)];
}

/** Path of stories260K.gguf, or null when the shared folder does not hold it. */
export const STORIES_PATH: string | null = candidates().find((p) => existsSync(p)) ?? null;
/** Why the tests that need the model are skipped. */
export const STORIES_MISSING = `skipped: ${FILE} not found (looked at ${candidates().join(", ")})`;

/** What a converted tensor becomes: a type its f32 values are encoded to, or its encoded bytes. */
export type TensorChoice = { type: GgmlTypeName; bytes?: Uint8Array };

/**
 * Rewrites the all-F32 GGUF at `src` to `out` (unless `out` exists): same metadata, each tensor encoded
 * as `choose` says by capibara's GGUF writer.
 */
export async function convertGguf(src: string, out: string, choose: (t: GgufTensorInfo) => TensorChoice): Promise<string> {
  if (existsSync(out)) return out;
  mkdirSync(dirname(out), { recursive: true });
  const info = await inspectGguf(src, { includeArrays: true });
  const w = new GgufWriter({ alignment: info.alignment });
  for (const [key, value] of Object.entries(info.metadata)) {
    if (key === "general.alignment") continue;
    const t = info.metadataTypes[key]!;
    const array = /^array<(.+)>$/.exec(t);
    if (array) w.setArray(key, array[1] as GgufScalarType, value as Exclude<GgufValue, bigint>[] as never);
    else w.set(key, t as GgufScalarType, value as string | number | bigint | boolean);
  }
  const bytes = readFileSync(src);
  for (const t of info.tensors) {
    if (t.type !== "f32") throw new Error(`${t.name}: expected an f32 source tensor, found ${t.type}`);
    const start = bytes.byteOffset + info.dataOffset + t.offset;
    const c = choose(t);
    const data = c.bytes ?? new Float32Array(bytes.buffer.slice(start, start + t.bytes));
    w.addTensor(t.name, { type: c.type, shape: t.shape, data });
  }
  await w.write(out);
  return out;
}

/** Matrices (2-D tensors) whose rows divide into `type`'s blocks become `type`; the rest stays F32. */
export function matricesAs(type: GgmlTypeName): (t: GgufTensorInfo) => TensorChoice {
  return (t) => ({ type: t.shape.length === 2 && t.shape[0]! % GGML_TYPES[type].blockSize === 0 ? type : "f32" });
}

/** Writes (once, cached under `.cache/models/`) stories260K with its matrices converted to `type`. */
export async function storiesVariant(type: GgmlTypeName): Promise<string> {
  if (!STORIES_PATH) throw new Error(STORIES_MISSING);
  if (type === "f32") return STORIES_PATH;
  return convertGguf(STORIES_PATH, join(ROOT, ".cache", "models", `stories260K-${type}-v1.gguf`), matricesAs(type));
}
