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
  const { REPO_ROOT, readSources } = require("./sources.cjs");
  const root = opts.root ?? REPO_ROOT;
  /** @type {{ runCli(argv: string[]): void }} */
  let cli;
  if (process.env.BACKEND_RELEASE_CLI === "tsx") {
    cli = fromSources(root);
  } else {
    let dir;
    try {
      const { ensureCompiled } = require("./compile.cjs");
      ({ dir } = await ensureCompiled(readSources(root)));
    } catch (err) {
      process.stderr.write(`note: cannot compile the CLI (${err instanceof Error ? err.message.split("\n")[0] : String(err)}); running the TypeScript sources through tsx\n`);
    }
    if (dir) {
      // Stack traces point into the TypeScript sources (inline source maps).
      process.setSourceMapsEnabled(true);
      cli = require(join(dir, "infra", "cli", "main.js"));
    } else {
      cli = fromSources(root);
    }
  }
  cli.runCli(argv);
}

/** @param {string} root */
function fromSources(root) {
  require(require.resolve("tsx/cjs/api", { paths: [root] })).register();
  return require(join(root, "infra", "cli", "main.ts"));
}

module.exports = { launch };
