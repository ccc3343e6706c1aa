/**
 * The SEC-OPS pack's definition, served by ./index.ts (`pulumi preview --policy-pack`, one pack per
 * process) and by the offline runner's in-process host (both packs in the CLI's process).
 */
import type { PolicyPackArgs } from "@pulumi/policy";
import { secOpsPolicies } from "./rules";

export const secOpsPack: { name: string; args: PolicyPackArgs } = {
  name: "backend-release-sec-ops",
  args: {
    description: "SEC-OPS: security and on-call controls that must never be missing from what backend-release ships (resource and trust policies, S3, ECR, ECS, IAM, KMS, network, ALB, logs, secrets, RDS, Datadog/PagerDuty).",
    displayName: "SEC-OPS",
    enforcementLevel: "mandatory",
    policies: secOpsPolicies,
  },
};
