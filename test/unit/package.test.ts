// The package as a consumer meets it: `npm pack`, then `npm install <tarball> --ignore-scripts` in an
// empty folder (npm 11 asks before running a dependency's install scripts), so the addon must come
// from prebuilds/ alone. Also: the API reference builds with typedoc without warnings.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../lib/native.js";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const work = mkdtempSync(join(tmpdir(), "capibara-pack-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 });
}

describe("packaging", () => {
  it("a consumer installs the packed package with --ignore-scripts and loads the prebuild", () => {
    // prebuildify's output for this platform, from the addon `npm install` just built (same node-gyp
    // build `npm run prebuild` performs); `npm run prebuild` produces the same file for publishing.
    const built = join(packageRoot, "build/Release/capibara.node");
    expect(existsSync(built), "build/Release/capibara.node missing: run npm install").toBe(true);
    const dir = join(packageRoot, "prebuilds", `${process.platform}-${process.arch}`);
    mkdirSync(dir, { recursive: true });
    copyFileSync(built, join(dir, "capibara.node"));

    const tarball = sh(npm, ["pack", "--pack-destination", work], packageRoot).trim().split("\n").pop()!;
    const consumer = join(work, "consumer");
    mkdirSync(consumer);
    writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", type: "module" }));
    sh(npm, ["install", "--ignore-scripts", "--prefer-offline", "--no-audit", "--no-fund", join(work, tarball)], consumer);

    const installed = join(consumer, "node_modules/capibara");
    expect(existsSync(join(installed, "build")), "no source build may happen in the consumer").toBe(false);
    // The web page is built at `prepare` and shipped under dist/ (lib/server/web.ts serves it from there).
    for (const f of ["index.html", "app.js", "style.css", "favicon.svg"]) expect(existsSync(join(installed, "dist/web", f)), f).toBe(true);
    const out = sh(
      process.execPath,
      ["--input-type=module", "-e", "import { kernels } from 'capibara'; const i = kernels.cpuInfo(); console.log(JSON.stringify(i));"],
      consumer,
    );
    const info = JSON.parse(out) as { available: string[]; active: string };
    expect(info.available).toContain("scalar");
    expect(info.available).toContain(info.active);

    // The router reads its vocabularies and topic weights from data/router: they must ship.
    const routed = sh(
      process.execPath,
      ["--input-type=module", "-e", "import { route } from 'capibara'; console.log(route([{ role: 'user', content: 'Write a regex for ISO dates' }]).domain);"],
      consumer,
    );
    expect(routed.trim()).toBe("coding");
  }, 300_000);

  it("typedoc builds the API reference without warnings", () => {
    // treatWarningsAsErrors is set in typedoc.json, so a warning fails this command.
    sh(process.execPath, [join(packageRoot, "node_modules/typedoc/bin/typedoc"), "--emit", "none"], packageRoot);
  }, 120_000);
});
