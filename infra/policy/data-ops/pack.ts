/**
 * The DATA-OPS pack's definition, served by ./index.ts (`pulumi preview --policy-pack`, one pack
 * per process) and by the offline runner's in-process host (both packs in the CLI's process).
 */
import type { PolicyPackArgs } from "@pulumi/policy";
import { dataOpsPolicies } from "./rules";

export const dataOpsPack: { name: string; args: PolicyPackArgs } = {
  name: "backend-release-data-ops",
  args: {
    description: "DATA-OPS: data durability, retention and deletion, ownership, release promotion and migration ordering for backend-release (S3, RDS, KMS, Secrets Manager, ECR, logs, tags, ECS rollouts).",
    displayName: "DATA-OPS",
    enforcementLevel: "mandatory",
    policies: dataOpsPolicies,
  },
};
