import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../lib/native.js";
// @ts-expect-error plain ESM script without types
import { GROUPS, sources } from "../../scripts/sources.mjs";

function allCpp(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...allCpp(p));
    else if (e.name.endsWith(".cpp")) out.push(relative(packageRoot, p));
  }
  return out.sort();
}

describe("one native source list for node-gyp and CMake", () => {
  const groups = Object.keys(GROUPS as Record<string, string[]>);

  it("every .cpp under native/ belongs to exactly one group", () => {
    const listed = groups.flatMap((g) => sources(g) as string[]).sort();
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed).toEqual(allCpp(join(packageRoot, "native")));
  });

  it("binding.gyp takes each group from scripts/sources.mjs", () => {
    const gyp = readFileSync(join(packageRoot, "binding.gyp"), "utf8");
    for (const g of groups) expect(gyp).toContain(`node scripts/sources.mjs ${g})`);
  });

  it("CMakeLists.txt uses the generated list for each group", () => {
    const cmake = readFileSync(join(packageRoot, "CMakeLists.txt"), "utf8");
    expect(cmake).toContain("scripts/sources.mjs cmake");
    for (const g of groups) expect(cmake).toContain(`\${CAPIBARA_${g.toUpperCase()}_SOURCES}`);
  });
});
