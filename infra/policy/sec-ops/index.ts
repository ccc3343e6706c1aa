/**
 * The SEC-OPS policy pack. Loading this file starts @pulumi/policy's analyzer server (it prints
 * its gRPC port), which is how `pulumi preview --policy-pack` and our offline runner use it;
 * the rules live in ./rules so tests import them without starting a server.
 */
import { PolicyPack } from "@pulumi/policy";
import { secOpsPolicies } from "./rules";

new PolicyPack("backend-release-sec-ops", {
  description: "SEC-OPS: security and on-call controls that must never be missing from what backend-release ships (resource and trust policies, S3, ECR, ECS, IAM, KMS, network, ALB, logs, secrets, RDS, Datadog/PagerDuty).",
  displayName: "SEC-OPS",
  enforcementLevel: "mandatory",
  policies: secOpsPolicies,
});
