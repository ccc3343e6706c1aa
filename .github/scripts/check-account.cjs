#!/usr/bin/env node
/**
 * `check-account.cjs <stack> <account-id>`: exits 1 unless the AWS account the workflow's role
 * landed in is one the stack allows (`aws:allowedAccountIds` in Pulumi.<stack>.yaml). The provider
 * refuses another account too, but only once Pulumi runs; this stops a mis-scoped role variable
 * (one role for two accounts) before any Pulumi step reads the stack.
 */
"use strict";
const { readFileSync } = require("node:fs");
const { parse } = require("yaml");

function allowedAccounts(stack) {
  const file = `Pulumi.${stack}.yaml`;
  const doc = parse(readFileSync(file, "utf8")) ?? {};
  const ids = doc.config?.["aws:allowedAccountIds"];
  if (!Array.isArray(ids) || ids.length === 0) throw new Error(`${file}: config aws:allowedAccountIds is missing; add the stack's 12-digit account id`);
  return ids.map(String);
}

function main([stack, account]) {
  if (!stack || !/^\d{12}$/.test(account ?? "")) {
    process.stderr.write("usage: check-account.cjs <stack> <12-digit account id> (the account comes from configure-aws-credentials' aws-account-id output)\n");
    return 2;
  }
  const allowed = allowedAccounts(stack);
  if (!allowed.includes(account)) {
    process.stderr.write(`::error::the role assumed for stack ${stack} is in account ${account}, but Pulumi.${stack}.yaml allows only ${allowed.join(", ")}: set AWS_ROLE_ARN on this job's environment to a role in that account\n`);
    return 1;
  }
  process.stdout.write(`account ${account} is stack ${stack}'s\n`);
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`::error::${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  }
}
module.exports = { main, allowedAccounts };
