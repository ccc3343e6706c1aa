// Prints "N passed, N failed" from vitest's JSON report (jest-compatible shape). A test file that
// failed without any failed test (a load or hook error) counts as one failure, so it cannot hide.
const report = require(require("node:path").resolve(process.argv[2] ?? ".tmp/vitest-report.json"));
let passed = 0;
let failed = 0;
for (const file of report.testResults ?? []) {
  const results = file.assertionResults ?? [];
  passed += results.filter((t) => t.status === "passed").length;
  const failedHere = results.filter((t) => t.status === "failed").length;
  failed += failedHere;
  if (file.status === "failed" && failedHere === 0) failed += 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || report.success === false ? 1 : 0);
