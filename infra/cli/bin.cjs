#!/usr/bin/env node
// Installed entry (`npx backend-release`): runs the TypeScript CLI through tsx.
const { spawnSync } = require("node:child_process");
const { join } = require("node:path");
const result = spawnSync(process.execPath, ["--import", "tsx", join(__dirname, "main.ts"), ...process.argv.slice(2)], { stdio: "inherit" });
process.exit(result.status ?? 1);
