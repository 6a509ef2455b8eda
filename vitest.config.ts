import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Native work and generated GGUF fixtures make some files slow on 2 cores; keep files isolated.
    testTimeout: 60_000,
    hookTimeout: 300_000,
    pool: "forks",
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
