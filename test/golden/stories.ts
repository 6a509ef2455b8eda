/**
 * The real trained model of the shared folder (`../shared/models/stories260K.gguf`, see its README) and
 * variants of it that capibara's GGUF writer makes: every matrix whose rows divide into the type's
 * blocks is converted, the rest (the 172-long `ffn_down` rows, norms) stays F32, as llama-quantize
 * falls back.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { GGML_TYPES, GgufWriter, inspectGguf, type GgmlTypeName, type GgufScalarType, type GgufValue } from "../../lib/gguf/index.js";

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

/** Writes (once, cached under `.cache/models/`) the model with its matrices converted to `type`. */
export async function storiesVariant(type: GgmlTypeName): Promise<string> {
  if (!STORIES_PATH) throw new Error(STORIES_MISSING);
  if (type === "f32") return STORIES_PATH;
  const dir = join(ROOT, ".cache", "models");
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `stories260K-${type}-v1.gguf`);
  if (existsSync(out)) return out;
  const info = await inspectGguf(STORIES_PATH, { includeArrays: true });
  const w = new GgufWriter({ alignment: info.alignment });
  for (const [key, value] of Object.entries(info.metadata)) {
    if (key === "general.alignment") continue;
    const t = info.metadataTypes[key]!;
    const array = /^array<(.+)>$/.exec(t);
    if (array) w.setArray(key, array[1] as GgufScalarType, value as Exclude<GgufValue, bigint>[] as never);
    else w.set(key, t as GgufScalarType, value as string | number | bigint | boolean);
  }
  const bytes = readFileSync(STORIES_PATH);
  for (const t of info.tensors) {
    if (t.type !== "f32") throw new Error(`${t.name}: expected an f32 source tensor, found ${t.type}`);
    const start = info.dataOffset + t.offset;
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + t.bytes));
    const convert = t.shape.length === 2 && t.shape[0]! % GGML_TYPES[type].blockSize === 0;
    w.addTensor(t.name, { type: convert ? type : "f32", shape: t.shape, data });
  }
  await w.write(out);
  return out;
}
