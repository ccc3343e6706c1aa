// @ts-check
/**
 * The CLI entry (`npm run cli`, `npm run release`, `npx backend-release`): runs the compiled tree
 * of the current sources, compiling it first when there is none (after a fresh clone without
 * `npm ci`'s prepare, or after any edit). If compiling is impossible it runs the TypeScript sources
 * through tsx, as before — never an older tree. `BACKEND_RELEASE_CLI=tsx` forces the tsx path.
 */
const { join } = require("node:path");

/**
 * @param {string[]} argv
 * @param {{ root?: string }} [opts]
 */
async function launch(argv, opts = {}) {
  const { REPO_ROOT, distRoot, readSources, rememberKey, rememberedKey, statFingerprint } = require("./sources.cjs");
  const root = opts.root ?? REPO_ROOT;
  let dir;
  if (process.env.BACKEND_RELEASE_CLI !== "tsx") {
    try {
      const { ensureCompiled, isComplete } = require("./compile.cjs");
      const fp = statFingerprint(root);
      const known = rememberedKey(root, fp.fingerprint);
      if (known && isComplete(join(distRoot(root), known))) {
        dir = join(distRoot(root), known);
      } else {
        const set = readSources(root);
        ({ dir } = await ensureCompiled(set));
        rememberKey(root, fp, set.key);
      }
    } catch (err) {
      process.stderr.write(`note: cannot compile the CLI (${err instanceof Error ? err.message.split("\n")[0] : String(err)}); running the TypeScript sources through tsx\n`);
    }
  }
  if (!dir) return runSources(root, argv);
  // Stack traces (and the source positions Pulumi records) point into the TypeScript sources.
  require("./stack-traces.cjs").installSourceMappedStacks();
  /** @type {{ runCli(argv: string[]): void }} */
  const cli = require(join(dir, "infra", "cli", "main.js"));
  cli.runCli(argv);
}

/** The sources through tsx in a child process, as the CLI ran before it was compiled. @param {string} root @param {string[]} argv */
function runSources(root, argv) {
  const { spawnSync } = require("node:child_process");
  const result = spawnSync(process.execPath, ["--import", "tsx", join(root, "infra", "cli", "main.ts"), ...argv], { stdio: "inherit", cwd: process.cwd() });
  if (result.error) throw result.error;
  process.exit(result.status ?? 1);
}

module.exports = { launch };
