import { describe, expect, it } from "vitest";
import { kernels } from "../../lib/index.js";
import { nmse, randomFloats, TEST_SIZES } from "./kernel-util.js";

const backends = kernels.availableBackends();

describe("kernel backends", () => {
  it("scalar is always available and the active one is listed", () => {
    const info = kernels.cpuInfo();
    expect(info.available).toContain("scalar");
    expect(info.available).toContain(info.active);
    if (process.arch === "x64" && info.features.avx2 && info.features.fma) expect(info.available).toContain("avx2");
  });

  it("rejects unknown backends with a typed error", () => {
    expect(() => kernels.rmsnorm(new Float32Array(4), null, 1e-6, { backend: "sse9" as never })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});

// RMSNorm tolerance: NMSE <= 1e-10 vs the scalar (double-accumulating) reference.
describe.each(backends)("rmsnorm [%s]", (backend) => {
  it.each(TEST_SIZES)("n=%i matches scalar", (n) => {
    const x = randomFloats(n, n, -4, 4);
    const w = randomFloats(n, n + 1);
    for (const weight of [null, w]) {
      const ref = kernels.rmsnorm(x, weight, 1e-6, { backend: "scalar" });
      const got = kernels.rmsnorm(x, weight, 1e-6, { backend });
      expect(nmse(ref, got)).toBeLessThanOrEqual(1e-10);
    }
  });

  it("is exact on a known vector", () => {
    const y = kernels.rmsnorm(new Float32Array([3, 4]), new Float32Array([1, 2]), 0, { backend });
    const inv = 1 / Math.sqrt((9 + 16) / 2);
    expect(y[0]).toBeCloseTo(3 * inv, 6);
    expect(y[1]).toBeCloseTo(8 * inv, 6);
  });
});
