// @ts-check
/**
 * What the compiled output is made of, and the key that names it.
 *
 * The key is a sha256 over every TypeScript source the CLI can load (path and content), this
 * build's own code, the esbuild version and the compiler options. A compiled tree is stored under
 * `dist/<key>/`, so an edited, added, removed or renamed source — whatever its mtime — gives a key
 * with no tree yet: stale output cannot be picked, only rebuilt. Hashing every source on each
 * start costs tens of milliseconds, so the key is remembered with a fingerprint of the files'
 * metadata (ctime included) and recomputed whenever that changes. Plain CommonJS because it runs
 * before anything is compiled (the CLI entry, `npm ci`'s prepare).
 */
const { createHash } = require("node:crypto");
const { readdirSync, readFileSync, renameSync, statSync, writeFileSync } = require("node:fs");
const { join, relative } = require("node:path");

const REPO_ROOT = join(__dirname, "..", "..");
/** Everything the CLI and the policy packs import from this repository. Tests stay on tsx. */
const SOURCE_DIRS = ["infra", "config", join("backend", "src")];
/** The build's own modules: changing how we compile must also change the key. */
const BUILD_FILES = [join(__dirname, "sources.cjs"), join(__dirname, "compile.cjs")];
const DIST_DIR = "dist";

/**
 * @typedef {{ rel: string; file: string; text: string }} SourceFile
 * @typedef {{ root: string; key: string; files: SourceFile[]; compilerOptions: Record<string, unknown>; esbuildVersion: string }} SourceSet
 */

/** @param {string} dir @param {string[]} out */
function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === "ENOENT") return;
    throw err;
  }
  for (const e of entries) {
    if (e.name === "node_modules" || e.name.startsWith(".")) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) walk(path, out);
    else if (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) out.push(path);
  }
}

/** @param {string} root */
function compilerOptionsOf(root) {
  const tsconfig = JSON.parse(readFileSync(join(root, "tsconfig.json"), "utf8"));
  return /** @type {Record<string, unknown>} */ (tsconfig.compilerOptions ?? {});
}

/** @param {string} root */
function esbuildVersionFrom(root) {
  const pkg = require.resolve("esbuild/package.json", { paths: [root] });
  return /** @type {{ version: string }} */ (JSON.parse(readFileSync(pkg, "utf8"))).version;
}

/** @param {string} root */
function sourcePaths(root) {
  /** @type {string[]} */
  const paths = [];
  for (const dir of SOURCE_DIRS) walk(join(root, dir), paths);
  return paths.sort();
}

/**
 * Reads every source once: the compiler is given exactly the bytes that were hashed, so a file
 * edited while we build cannot end up under a key it does not match.
 * @param {string} [root]
 * @returns {SourceSet}
 */
function readSources(root = REPO_ROOT) {
  const paths = sourcePaths(root);
  const compilerOptions = compilerOptionsOf(root);
  const esbuildVersion = esbuildVersionFrom(root);
  const hash = createHash("sha256");
  hash.update(`esbuild ${esbuildVersion}\0${JSON.stringify(compilerOptions)}\0`);
  for (const f of BUILD_FILES) hash.update(readFileSync(f));
  const files = paths.map((file) => {
    const text = readFileSync(file, "utf8");
    const rel = relative(root, file).split("\\").join("/");
    hash.update(`\0${rel}\0`).update(text);
    return { rel, file, text };
  });
  return { root, key: hash.digest("hex").slice(0, 24), files, compilerOptions, esbuildVersion };
}

/** @param {string} root */
function distRoot(root) {
  return join(root, DIST_DIR);
}

/** @param {SourceSet} set */
function outDirOf(set) {
  return join(distRoot(set.root), set.key);
}

/** Where the last computed key is remembered with the fingerprint of the files it was computed from. */
const KEY_CACHE = ".key-cache.json";
/** Files changed this recently are not trusted to a fingerprint (timestamps may be coarse). */
const RACY_MS = 2000;

/**
 * A fingerprint of every input's metadata — path, inode, size, mtime and ctime. Any write to a
 * file moves its ctime, even when the mtime is put back afterwards, so an equal fingerprint means
 * the contents hashed last time are the contents now: the key is known without reading them.
 * @param {string} [root]
 * @returns {{ fingerprint: string; newestChangeMs: number }}
 */
function statFingerprint(root = REPO_ROOT) {
  const files = [...BUILD_FILES, join(root, "tsconfig.json"), require.resolve("esbuild/package.json", { paths: [root] }), ...sourcePaths(root)];
  const hash = createHash("sha256");
  let newestChangeMs = 0;
  for (const f of files) {
    const st = statSync(f, { bigint: true });
    hash.update(`${f}\0${st.ino}\0${st.size}\0${st.mtimeNs}\0${st.ctimeNs}\n`);
    newestChangeMs = Math.max(newestChangeMs, Number(st.ctimeNs / 1000000n), Number(st.mtimeNs / 1000000n));
  }
  return { fingerprint: hash.digest("hex"), newestChangeMs };
}

/**
 * The key remembered for this fingerprint, if any.
 * @param {string} root @param {string} fingerprint
 * @returns {string | undefined}
 */
function rememberedKey(root, fingerprint) {
  try {
    const cached = /** @type {{ fingerprint?: unknown; key?: unknown }} */ (JSON.parse(readFileSync(join(distRoot(root), KEY_CACHE), "utf8")));
    return cached.fingerprint === fingerprint && typeof cached.key === "string" ? cached.key : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Remembers `key` for a fingerprint taken before the sources were read (so a file written in
 * between has a newer ctime and cannot match it later). Not when a file changed within RACY_MS:
 * a second write in the same timestamp tick would leave the fingerprint as it was.
 * @param {string} root @param {{ fingerprint: string; newestChangeMs: number }} fp @param {string} key
 */
function rememberKey(root, fp, key) {
  if (Date.now() - fp.newestChangeMs < RACY_MS) return;
  const file = join(distRoot(root), KEY_CACHE);
  const tmp = `${file}.${process.pid}`;
  try {
    writeFileSync(tmp, JSON.stringify({ fingerprint: fp.fingerprint, key }));
    renameSync(tmp, file);
  } catch {
    // Only a shortcut: the next start hashes the sources again.
  }
}

module.exports = { REPO_ROOT, SOURCE_DIRS, readSources, distRoot, outDirOf, statFingerprint, rememberedKey, rememberKey };
