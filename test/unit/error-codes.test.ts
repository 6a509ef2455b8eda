import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NATIVE_ERROR_CODES, errorFromCode, GgufFormatError, InternalError, CapibaraError } from "../../lib/errors.js";
import { native, packageRoot } from "../../lib/native.js";

describe("error codes", () => {
  it("lib/errors.ts mirrors native/common/status.h exactly, in order", () => {
    const header = readFileSync(join(packageRoot, "native/common/status.h"), "utf8");
    const block = header.slice(header.indexOf("#define CAPIBARA_ERROR_CODES"), header.indexOf("enum class ErrorCode"));
    const codes = [...block.matchAll(/X\((\w+)\)/g)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThan(10);
    expect(codes).toEqual([...NATIVE_ERROR_CODES]);
  });

  it("maps codes to classes, unknown codes to InternalError", () => {
    const e = errorFromCode("GGUF_TRUNCATED", "short file");
    expect(e).toBeInstanceOf(GgufFormatError);
    expect(e).toBeInstanceOf(CapibaraError);
    expect(e.code).toBe("GGUF_TRUNCATED");
    expect(e.name).toBe("GgufFormatError");
    expect(errorFromCode("NO_SUCH_CODE", "x")).toBeInstanceOf(InternalError);
  });

  it("native argument errors arrive as typed errors with a code", () => {
    const k = native().kernels;
    let caught: unknown;
    try {
      k.rmsnorm("scalar", new Float64Array(4) as unknown as Float32Array, null, 1e-6);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CapibaraError);
    expect((caught as CapibaraError).code).toBe("INVALID_ARGUMENT");
    expect((caught as Error).message).toMatch(/x must be a Float32Array/);
  });
});
