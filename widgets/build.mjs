// Bundles each view's ES module (src/views/<view>.js, with its CSS and the shared lib,
// including vega + vega-lite + vega-embed) into ../axis_jupyter/static/<view>.js (+ .css).
// Everything is bundled: the front ends load nothing from a CDN. Works offline after `npm ci`.
import * as esbuild from "esbuild";
import { readdirSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(here, "..", "axis_jupyter", "static");
const views = readdirSync(join(here, "src", "views")).filter((f) => f.endsWith(".js"));
mkdirSync(outdir, { recursive: true });

const options = {
  entryPoints: Object.fromEntries(views.map((f) => [f.replace(/\.js$/, ""), join(here, "src", "views", f)])),
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
