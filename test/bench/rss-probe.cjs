// Preloaded into every Node process of a benchmarked command (NODE_OPTIONS=--require): on exit,
// appends the process's peak RSS to $BENCH_RSS_FILE, so a command's peak includes its children.
const { appendFileSync } = require("node:fs");
const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on("exit", () => {
    appendFileSync(file, `${JSON.stringify({ pid: process.pid, maxRssKiB: process.resourceUsage().maxRSS, argv: process.argv.slice(1, 3) })}\n`);
  });
}
