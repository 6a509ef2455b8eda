/**
 * Which matmul kernel variant our engine ran for each weight type of a model file, so a table says
 * what it measured: `<family>-packed<R>` (the packed kernel family of the active table and its R-row
 * groups, e.g. `avx2-packed8`, `avx512-packed16`, `neon-i8mm-packed4`) where the engine repacked that
 * type's matrices, else `<family>-row-major` (the file-layout kernel, e.g. `avx2-row-major` for a type
 * the AVX-512 table inherits from AVX2). Families are the dispatch table's names (lib/kernels.ts
 * `kernelVariant`). It applies the rule of
 * native/model/packed_weights.cpp to the file's tensor table: the projection and FFN matrices and an
 * untied output are packed when the table has a layout for their type and their row count is a
 * multiple of the group; a tied output multiplies the token embedding in the file layout.
 * @module
 */

/** What the variants need of a tensor: its name, type name and ggml shape (`shape[1]` = rows). */
export interface TensorLike {
  name: string;
  type: string;
  shape: number[];
}

/** The matrices the engine multiplies by activations (packed_weights.cpp's `consider` list). */
const MATMUL_WEIGHT = /^(blk\.\d+\.(attn_(q|k|v|qkv|output)|ffn_(gate|up|down))|output)\.weight$/;

/** The active table's kernels for a type (lib/kernels.ts `KernelVariant`). */
export interface TypeVariant {
  gemm: string;
  packed: string | null;
  packRows: number;
}

/**
 * Type name → variant, for the matmul weights of `tensors`. `variant(type)` is the active table's
 * entry, `packed` whether the engine repacked at all (ModelInfo.packedBytes > 0). A type whose
 * matrices ran two ways lists both with their counts.
 */
export function kernelVariants(
  tensors: readonly TensorLike[],
  variant: (type: string) => TypeVariant,
  packed: boolean,
): Record<string, string> {
  const tied = !tensors.some((t) => t.name === "output.weight");
  const counts = new Map<string, Map<string, number>>();
  for (const t of tensors) {
    const embeddingOutput = tied && t.name === "token_embd.weight";
    if (!MATMUL_WEIGHT.test(t.name) && !embeddingOutput) continue;
    const v = variant(t.type);
    const rows = packed && !embeddingOutput && v.packed ? v.packRows : 0;
    const name = rows > 0 && (t.shape[1] ?? 0) % rows === 0 ? `${v.packed}-packed${rows}` : `${v.gemm}-row-major`;
    const byVariant = counts.get(t.type) ?? new Map<string, number>();
    byVariant.set(name, (byVariant.get(name) ?? 0) + 1);
    counts.set(t.type, byVariant);
  }
  const out: Record<string, string> = {};
  for (const [type, byVariant] of counts) {
    out[type] = byVariant.size === 1 ? [...byVariant.keys()][0]! : [...byVariant].map(([v, n]) => `${v} x${n}`).join(" + ");
  }
  return out;
}

/** `type variant` pairs in type order, one cell of the report. */
export function variantsCell(variants: Record<string, string> | undefined): string | null {
  if (!variants || Object.keys(variants).length === 0) return null;
  return Object.keys(variants)
    .sort()
    .map((type) => `${type}: ${variants[type]}`)
    .join(", ");
}
