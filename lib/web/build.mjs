// Builds the web page into dist/web: one bundled script, the stylesheet, the HTML and the favicon.
// Run by `npm run build:web` (and `prepare`); esbuild is a devDependency, so this runs in a checkout,
// and the package ships the built files.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const src = dirname(fileURLToPath(import.meta.url));
const out = join(src, "..", "..", "dist", "web");
mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: join(src, "main.ts"), style: join(src, "style.css") },
  outdir: out,
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2022",
  legalComments: "none",
  logLevel: "warning",
});
for (const f of ["index.html", "favicon.svg"]) copyFileSync(join(src, f), join(out, f));
