/**
 * `npm run -w backend openapi` writes backend/openapi.json from the routes;
 * `npm run -w backend openapi:check` exits 1 when the committed file is stale (CI runs the same
 * check as a test: test/backend/api-openapi.test.ts).
 */
import { checkOpenApiFile, renderOpenApiDocument, writeOpenApiFile, OPENAPI_FILE } from "./openapi";

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--check")) {
    const check = await checkOpenApiFile();
    process.stdout.write(check.fresh ? `${check.file} is up to date\n` : `${check.problem}\n`);
    return check.fresh ? 0 : 1;
  }
  if (argv.length > 0) {
    process.stderr.write(`unexpected argument "${argv[0]}": usage: openapi [--check]\n`);
    return 2;
  }
  writeOpenApiFile(await renderOpenApiDocument());
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`openapi: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
