/**
 * The DATA-OPS policy pack. Loading this file starts @pulumi/policy's analyzer server (it prints
 * its gRPC port), which is how `pulumi preview --policy-pack` and our offline runner use it;
 * the rules live in ./rules so tests import them without starting a server.
 */
import { PolicyPack } from "@pulumi/policy";
import { dataOpsPolicies } from "./rules";

new PolicyPack("backend-release-data-ops", {
  description: "DATA-OPS: data durability, retention and deletion, ownership, release promotion and migration ordering for backend-release (S3, RDS, KMS, Secrets Manager, ECR, logs, tags, ECS rollouts).",
  displayName: "DATA-OPS",
  enforcementLevel: "mandatory",
  policies: dataOpsPolicies,
});
