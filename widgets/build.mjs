// Bundles every view (src/axis.js: the registry of src/views/*, the shared src/lib/, the
// views' CSS, and vega + vega-lite + vega-embed once) into ../axis_jupyter/static/axis.js
// and axis.css. Everything is bundled: the front ends load nothing from a CDN. Works
// offline after `npm ci`. `--watch` rebuilds unminified on every change.
import * as esbuild from "esbuild";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(here, "..", "axis_jupyter", "static");
mkdirSync(outdir, { recursive: true });
// per-view bundles of earlier builds would ship again as dead weight
for (const f of readdirSync(outdir)) {
  if (/\.(js|css|map)$/.test(f) && !f.startsWith("axis.")) rmSync(join(outdir, f));
}

const options = {
  entryPoints: { axis: join(here, "src", "axis.js") },
  outdir,
  bundle: true,
  format: "esm",
  target: ["es2020"],
  minify: true,
  legalComments: "none",
  logLevel: "info",
  define: { "process.env.NODE_ENV": '"production"' },
};

if (process.argv.includes("--watch")) {
  const ctx = await esbuild.context({ ...options, minify: false });
  await ctx.watch();
} else {
  await esbuild.build(options);
}
