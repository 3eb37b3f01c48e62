// npm ci && npm run build  ->  ../static/vendor/codemirror/codemirror.js (+ LICENSE notes).
import { build } from "esbuild";
import { copyFileSync, mkdirSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";

const out = "../static/vendor/codemirror";
mkdirSync(out, { recursive: true });
await build({
  entryPoints: ["src/editor.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outfile: join(out, "codemirror.js"),
  legalComments: "eof",
});
// Carry the MIT licence of CodeMirror along with the bundle.
const lic = join("node_modules", "codemirror", "LICENSE");
if (existsSync(lic)) copyFileSync(lic, join(out, "LICENSE"));
console.log("built", readdirSync(out).join(", "));
