/** SEC-OPS ECR rules: images are immutable, scanned on push, and encrypted with KMS. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { asArray, asRecord } from "../../lib/props";
import { forTypes } from "../../lib/rule";
import { T } from "../../lib/types";

export const ecrImmutableTags: ResourceValidationPolicy = {
  name: "SEC-ECR-01-immutable-tags",
  description: "ECR repositories have immutable image tags, so a deployed tag cannot be re-pointed.",
  severity: "high",
  enforcementLevel: "mandatory",
  validateResource: forTypes(T.ecrRepository, (props, _args, report) => {
    if (props.imageTagMutability !== "IMMUTABLE") report("Repository image tags are mutable: set imageTagMutability to 'IMMUTABLE'.");
  }),
};

export const ecrScanOnPush: ResourceValidationPolicy = {
  name: "SEC-ECR-02-scan-on-push",
  description: "ECR repositories scan every pushed image for vulnerabilities.",
  severity: "medium",
  enforcementLevel: "mandatory",
  validateResource: forTypes(T.ecrRepository, (props, _args, report) => {
    if (asRecord(props.imageScanningConfiguration).scanOnPush !== true) report("Repository does not scan on push: set imageScanningConfiguration.scanOnPush to true.");
  }),
};

export const ecrKms: ResourceValidationPolicy = {
  name: "SEC-ECR-03-kms-encryption",
  description: "ECR repositories are encrypted with a KMS key.",
  severity: "medium",
  enforcementLevel: "mandatory",
  validateResource: forTypes(T.ecrRepository, (props, _args, report) => {
    const configs = asArray(props.encryptionConfigurations).map(asRecord);
    if (!configs.some((c) => c.encryptionType === "KMS")) report("Repository is not KMS-encrypted: set encryptionConfigurations to [{ encryptionType: 'KMS', kmsKey: <key ARN> }].");
  }),
};

export const ecrPolicies = [ecrImmutableTags, ecrScanOnPush, ecrKms];
