/**
 * Kernel entry points on typed arrays, with an explicit backend, so tests and benchmarks can
 * compare SIMD paths (AVX2, AVX-512, NEON) with the scalar reference.
 * @module
 */
import { native, type CpuInfo, type KernelBackend } from "./native.js";

export type { CpuInfo, KernelBackend };

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
