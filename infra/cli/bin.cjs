#!/usr/bin/env node
// The CLI entry (`npm run cli`, `npx backend-release`): the compiled CLI of the current sources,
// compiled on demand, or the TypeScript sources through tsx (see infra/build/launch.cjs).
require("../build/launch.cjs").launch(process.argv.slice(2));
