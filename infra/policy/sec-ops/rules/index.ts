/** Every SEC-OPS rule, in report order. Imported by the pack's index.ts and by tests. */
import type { Policies } from "@pulumi/policy";
import { accessPolicies } from "./access";
import { albPolicies } from "./alb";
import { datastorePolicies } from "./datastores";
import { ecrPolicies } from "./ecr";
import { ecsPolicies } from "./ecs";
import { iamPolicies } from "./iam";
import { kmsPolicies } from "./kms";
import { networkPolicies } from "./network";
import { opsPolicies } from "./ops";
import { rdsSecurityPolicies } from "./rds";
import { s3Policies } from "./s3";

export const secOpsPolicies: Policies = [
  ...s3Policies,
  ...accessPolicies,
  ...ecrPolicies,
  ...ecsPolicies,
  ...iamPolicies,
  ...kmsPolicies,
  ...networkPolicies,
  ...albPolicies,
  ...datastorePolicies,
  ...rdsSecurityPolicies,
  ...opsPolicies,
];
