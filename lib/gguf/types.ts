/**
 * GGUF value types and ggml tensor types, with the ids stored on disk (they are an ABI, shared with
 * `native/gguf/reader.h` and `native/common/ggml_type.h`).
 * @module
 */

/** Scalar metadata value types. */
export type GgufScalarType = "u8" | "i8" | "u16" | "i16" | "u32" | "i32" | "f32" | "bool" | "string" | "u64" | "i64" | "f64";
/** Every metadata value type (arrays may nest). */
export type GgufValueType = GgufScalarType | "array";

/** On-disk ids of metadata value types. */
export const GGUF_VALUE_TYPE_IDS: Readonly<Record<GgufValueType, number>> = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
};

/** Tensor element types capibara knows (ggml names). */
export type GgmlTypeName =
  | "f32"
  | "f16"
  | "q4_0"
  | "q4_1"
  | "q5_0"
  | "q5_1"
  | "q8_0"
  | "q8_1"
  | "q2_K"
  | "q3_K"
  | "q4_K"
  | "q5_K"
  | "q6_K"
  | "q8_K"
  | "iq2_xxs"
  | "iq2_xs"
  | "iq3_xxs"
  | "iq1_s"
  | "iq4_nl"
  | "iq3_s"
  | "iq2_s"
  | "iq4_xs"
  | "i8"
  | "i16"
  | "i32"
  | "i64"
  | "f64"
  | "iq1_m"
  | "bf16"
  | "tq1_0"
  | "tq2_0"
  | "mxfp4";

/** A ggml type's id and block layout: `blockSize` elements take `typeSize` bytes. */
export interface GgmlTypeTraits {
  id: number;
  blockSize: number;
  typeSize: number;
}

/** Ids and block layouts, mirroring `native/common/ggml_type.cpp`. */
export const GGML_TYPES: Readonly<Record<GgmlTypeName, GgmlTypeTraits>> = {
  f32: { id: 0, blockSize: 1, typeSize: 4 },
  f16: { id: 1, blockSize: 1, typeSize: 2 },
  q4_0: { id: 2, blockSize: 32, typeSize: 18 },
  q4_1: { id: 3, blockSize: 32, typeSize: 20 },
  q5_0: { id: 6, blockSize: 32, typeSize: 22 },
  q5_1: { id: 7, blockSize: 32, typeSize: 24 },
  q8_0: { id: 8, blockSize: 32, typeSize: 34 },
  q8_1: { id: 9, blockSize: 32, typeSize: 36 },
  q2_K: { id: 10, blockSize: 256, typeSize: 84 },
  q3_K: { id: 11, blockSize: 256, typeSize: 110 },
  q4_K: { id: 12, blockSize: 256, typeSize: 144 },
  q5_K: { id: 13, blockSize: 256, typeSize: 176 },
  q6_K: { id: 14, blockSize: 256, typeSize: 210 },
  q8_K: { id: 15, blockSize: 256, typeSize: 292 },
  iq2_xxs: { id: 16, blockSize: 256, typeSize: 66 },
  iq2_xs: { id: 17, blockSize: 256, typeSize: 74 },
  iq3_xxs: { id: 18, blockSize: 256, typeSize: 98 },
  iq1_s: { id: 19, blockSize: 256, typeSize: 50 },
  iq4_nl: { id: 20, blockSize: 32, typeSize: 18 },
  iq3_s: { id: 21, blockSize: 256, typeSize: 110 },
  iq2_s: { id: 22, blockSize: 256, typeSize: 82 },
  iq4_xs: { id: 23, blockSize: 256, typeSize: 136 },
  i8: { id: 24, blockSize: 1, typeSize: 1 },
  i16: { id: 25, blockSize: 1, typeSize: 2 },
  i32: { id: 26, blockSize: 1, typeSize: 4 },
  i64: { id: 27, blockSize: 1, typeSize: 8 },
  f64: { id: 28, blockSize: 1, typeSize: 8 },
  iq1_m: { id: 29, blockSize: 256, typeSize: 56 },
  bf16: { id: 30, blockSize: 1, typeSize: 2 },
  tq1_0: { id: 34, blockSize: 256, typeSize: 54 },
  tq2_0: { id: 35, blockSize: 256, typeSize: 66 },
  mxfp4: { id: 39, blockSize: 32, typeSize: 17 },
};

/** Alignment of the tensor data when `general.alignment` is absent. */
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Bytes taken by a tensor of `type` and `shape` (ggml order: `shape[0]` is the row length). */
export function ggmlTensorBytes(type: GgmlTypeName, shape: readonly number[]): number {
  const t = GGML_TYPES[type];
  const [ne0 = 1, ...rest] = shape;
  return rest.reduce((bytes, d) => bytes * d, (ne0 / t.blockSize) * t.typeSize);
}
