/**
 * Kernel entry points on typed arrays, with an explicit backend, so tests and benchmarks can
 * compare SIMD paths (AVX2, AVX-512, NEON) with the scalar reference.
 * @module
 */
import { native, type CpuInfo, type KernelBackend, type KernelVariant } from "./native.js";

export type { CpuInfo, KernelBackend, KernelVariant };

/** The CPU's features, the backends available here and the one in use. */
export function cpuInfo(): CpuInfo {
  return native().kernels.cpuInfo();
}

/** Backends that run on this CPU and build (always includes `scalar`). */
export function availableBackends(): KernelBackend[] {
  return cpuInfo().available;
}

/**
 * Forces the kernel backend used by every model in this process (like `CAPIBARA_KERNELS=scalar`).
 * @throws InvalidArgumentError when the backend is unknown or unavailable here.
 */
export function setKernelBackend(backend: KernelBackend): void {
  native().kernels.setIsa(backend);
}

/** Options common to kernel calls. */
export interface KernelOptions {
  /** Backend to run; defaults to the active one. */
  backend?: KernelBackend;
}

function backendOf(options?: KernelOptions): KernelBackend {
  return options?.backend ?? cpuInfo().active;
}

/** RMSNorm: `x / sqrt(mean(x²) + eps) * w` (w optional). */
export function rmsnorm(x: Float32Array, w: Float32Array | null, eps: number, options?: KernelOptions): Float32Array {
  return native().kernels.rmsnorm(backendOf(options), x, w, eps);
}

/** Weight tensor types with quantise, dequantise and dot-product kernels (ggml names). */
export type WeightType =
  | "f32"
  | "f16"
  | "bf16"
  | "q8_0"
  | "q4_0"
  | "q4_1"
  | "q5_0"
  | "q5_1"
  | "iq4_nl"
  | "q2_K"
  | "q3_K"
  | "q4_K"
  | "q5_K"
  | "q6_K"
  | "iq4_xs";
/** Every type {@link quantize} and {@link dequantize} accept: the weight types and the activation types `q8_1` and `q8_K`. */
export type TensorType = WeightType | "q8_1" | "q8_K";

/** Block geometry of a tensor type. */
export interface TypeInfo {
  /** ggml name, e.g. `q4_K`. */
  name: TensorType;
  /** Elements per block (1 for f32/f16/bf16, 32 for q8_0/q4_0/q4_1/q5_0/q5_1/iq4_nl, 256 for K-quants and iq4_xs). */
  blockSize: number;
  /** Bytes per block. */
  typeSize: number;
  /** Type the activations are converted to for this type's dot products. */
  vecDotType: TensorType;
}

/** Options of {@link matmul}. */
export interface MatmulOptions extends KernelOptions {
  /** Threads, counting the calling one (default 1). */
  threads?: number;
  /**
   * Run the backend's packed-layout kernel, as models do after loading (`w` is packed first).
   * Needs {@link packRows} > 0 and `nRows` a multiple of it.
   */
  packed?: boolean;
}

/**
 * Block size, block bytes and activation type of a tensor type.
 * @throws UnsupportedQuantError for an unknown or unsupported type.
 */
export function typeInfo(type: TensorType): TypeInfo {
  return native().quant.typeInfo(type) as TypeInfo;
}

/** Bytes of `n` elements of `type` (n a multiple of the block size). */
export function rowSize(type: TensorType, n: number): number {
  const info = typeInfo(type);
  return (n / info.blockSize) * info.typeSize;
}

/**
 * Quantises a row (or a whole tensor, rows back to back) to `type`, byte-compatible with GGUF.
 * @param x - length a multiple of the type's block size.
 * @throws InvalidArgumentError for a bad length; UnsupportedQuantError for an unknown type.
 */
export function quantize(type: TensorType, x: Float32Array, options?: KernelOptions): Uint8Array {
  return native().quant.quantize(backendOf(options), type, x);
}

/**
 * Dequantises `n` elements of `type` (exactly as ggml's dequantize_row_*).
 * @throws InvalidArgumentError when `bytes` does not hold exactly `n` elements.
 */
export function dequantize(type: TensorType, bytes: Uint8Array, n: number, options?: KernelOptions): Float32Array {
  return native().quant.dequantize(backendOf(options), type, bytes, n);
}

/**
 * Dot product of one quantised weight row with f32 activations, through the type's integer kernel
 * (x is first quantised to the type's `vecDotType`, as in inference).
 */
export function vecDot(type: WeightType, w: Uint8Array, x: Float32Array, options?: KernelOptions): number {
  return native().quant.vecDot(backendOf(options), type, w, x);
}

/**
 * Matrix product `y[t * nRows + r] = W[r] · x[t]` with `W` of `nRows` rows of `nCols` elements of `type`
 * and `x` of `nTok` rows of `nCols` floats; rows are split over `threads` threads.
 */
export function matmul(
  type: WeightType,
  w: Uint8Array,
  nRows: number,
  nCols: number,
  x: Float32Array,
  nTok: number,
  options?: MatmulOptions,
): Float32Array {
  return native().quant.matmul(backendOf(options), type, w, nRows, nCols, x, nTok, options?.threads ?? 1, options?.packed ?? false);
}

/**
 * Rows per interleaved group of the backend's packed layout for `type` (weights a loaded model keeps
 * repacked for faster products), or 0 when the backend multiplies the file layout directly.
 */
export function packRows(type: WeightType, options?: KernelOptions): number {
  return native().quant.packRows(backendOf(options), type);
}

/**
 * The kernel families the backend's table runs for `type`: the file-layout product and, where the
 * backend has one, the packed product a loaded model uses (e.g. `{ gemm: "avx512", packed: "avx512",
 * packRows: 16 }`; a kernel inherited from a lower level is named after it, e.g. `avx2` in the AVX-512 table).
 */
export function kernelVariant(type: WeightType, options?: KernelOptions): KernelVariant {
  return native().quant.kernelVariant(backendOf(options), type);
}

/** LayerNorm without bias (command-r): `(x - mean(x)) / sqrt(var(x) + eps) * w` (w optional). */
export function layernorm(x: Float32Array, w: Float32Array | null, eps: number, options?: KernelOptions): Float32Array {
  return native().kernels.layernorm(backendOf(options), x, w, eps);
}

/**
 * Fused SwiGLU: `silu(g) * u` elementwise.
 * @throws InvalidArgumentError when `g` and `u` differ in length.
 */
export function swiglu(g: Float32Array, u: Float32Array, options?: KernelOptions): Float32Array {
  return native().kernels.swiglu(backendOf(options), g, u);
}

/**
 * Fused GeGLU with tanh-approximated GELU (gemma): `0.5 g (1 + tanh(√(2/π) (g + 0.044715 g³))) * u`.
 * @throws InvalidArgumentError when `g` and `u` differ in length.
 */
export function geglu(g: Float32Array, u: Float32Array, options?: KernelOptions): Float32Array {
  return native().kernels.geglu(backendOf(options), g, u);
}

/** Tanh-approximated GELU (a vision tower's FFN): `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`. */
export function gelu(x: Float32Array, options?: KernelOptions): Float32Array {
  return native().kernels.gelu(backendOf(options), x);
}

/**
 * Numerically stable softmax; returns a new array (the input is not modified).
 * @throws InvalidArgumentError when `x` is empty.
 */
export function softmax(x: Float32Array, options?: KernelOptions): Float32Array {
  return native().kernels.softmax(backendOf(options), x);
}

/** Rotary embedding parameters, with llama.cpp's `ggml_rope_ext` meaning (no YaRN ramp). */
export interface RopeParams {
  /** Rotated dims per head (even, ≤ headDim; fewer = partial rotary). Default: headDim. */
  nDims?: number;
  /** NeoX layout: pairs `(i, i + nDims/2)`; otherwise adjacent pairs `(2i, 2i+1)` (llama). Default false. */
  neox?: boolean;
  /** Default 10000. */
  freqBase?: number;
  /** Default 1. */
  freqScale?: number;
  /** `nDims/2` divisors of each pair's angle (phi-3 LongRoPE), or null. */
  freqFactors?: Float32Array | null;
  /** Multiplies cos and sin (LongRoPE/YaRN mscale). Default 1. */
  attnFactor?: number;
}

/**
 * RoPE of one token: `x` is `[nHeads][headDim]` at absolute position `pos`; pair `i` turns by
 * `freqScale * pos * freqBase^(-2i/nDims) / freqFactors[i]`. Returns a new array.
 * @throws InvalidArgumentError on inconsistent shapes or parameters.
 */
export function rope(
  x: Float32Array,
  nHeads: number,
  headDim: number,
  pos: number,
  params: RopeParams = {},
  options?: KernelOptions,
): Float32Array {
  return native().kernels.rope(backendOf(options), x, nHeads, headDim, pos, params);
}

/** Shape and options of {@link flashAttention}. */
export interface FlashAttentionParams {
  /** Query heads. */
  nHead: number;
  /** KV heads (GQA: head h reads kv head `h / (nHead / nKvHead)`). Default: nHead. */
  nKvHead?: number;
  headDim: number;
  /** Absolute position of the first query; query i sits at `qPos0 + i`. Default 0. */
  qPos0?: number;
  /** Sliding window: query at pos sees keys `(pos - window, pos]`. 0 (default): no window. */
  window?: number;
  /**
   * Non-causal block: every query also sees keys up to `kvEnd - 1` (a vision encoder's patches, one
   * image's tokens). 0 (default): causal. `k`/`v` then hold at least `kvEnd` positions.
   */
  kvEnd?: number;
  /** Logit scale. Default `1/sqrt(headDim)`. */
  scale?: number;
  /** > 0: logits become `softcap * tanh(logits / softcap)`. Default 0. */
  softcap?: number;
  /** First head computed (heads outside `[headBegin, headEnd)` stay 0). Default 0. */
  headBegin?: number;
  /** End of the computed heads (exclusive). Default: nHead. */
  headEnd?: number;
}

/**
 * Causal attention over an F16 KV cache (row j holds position j).
 * `q` is `[nQ][nHead][headDim]` f32; `k`, `v` are `[nKv][nKvHead][headDim]` F16 bit patterns with
 * `nKv >= qPos0 + nQ`. Returns `[nQ][nHead][headDim]`.
 * @throws InvalidArgumentError on inconsistent shapes or parameters.
 */
export function flashAttention(
  q: Float32Array,
  k: Uint16Array,
  v: Uint16Array,
  params: FlashAttentionParams,
  options?: KernelOptions,
): Float32Array {
  return native().kernels.flashAttention(backendOf(options), q, k, v, params);
}
