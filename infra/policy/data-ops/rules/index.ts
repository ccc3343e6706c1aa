/** Every DATA-OPS rule, in report order. Imported by the pack's index.ts and by tests. */
import type { Policies } from "@pulumi/policy";
import { logPolicies } from "./logs";
import { migrationPolicies } from "./migrations";
import { rdsPolicies } from "./rds";
import { retentionPolicies } from "./retention";
import { s3Policies } from "./s3";
import { tagPolicies } from "./tags";

export const dataOpsPolicies: Policies = [...s3Policies, ...rdsPolicies, ...retentionPolicies, ...logPolicies, ...tagPolicies, ...migrationPolicies];
