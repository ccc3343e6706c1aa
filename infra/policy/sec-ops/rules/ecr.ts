/** SEC-OPS ECR rules: images are immutable, scanned on push, encrypted with KMS, and under a lifecycle policy. */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { controls } from "../../lib/controls";
import { asArray, asRecord, asString, known } from "../../lib/props";
import { forTypes } from "../../lib/rule";
import { T, isOneOf } from "../../lib/types";

export const ecrImmutableTags: ResourceValidationPolicy = {
  name: "SEC-ECR-01-immutable-tags",
  description: "ECR repositories (and repository creation templates) have immutable image tags, so a deployed tag cannot be re-pointed.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ECR.2"] }),
  validateResource: forTypes([...T.ecrRepository, ...T.ecrCreationTemplate], (props, args, report) => {
    const mutability = asString(props.imageTagMutability) ?? "MUTABLE";
    // IMMUTABLE_WITH_EXCLUSION keeps tags mutable for the excluded patterns only: still not immutable.
    if (mutability !== "IMMUTABLE") report(`Repository '${args.name}' image tags are ${mutability === "MUTABLE" ? "mutable" : `'${mutability}'`}: set imageTagMutability to 'IMMUTABLE'.`);
  }),
};

export const ecrScanOnPush: ResourceValidationPolicy = {
  name: "SEC-ECR-02-scan-on-push",
  description: "ECR repositories scan every pushed image for vulnerabilities.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ECR.1"] }),
  validateResource: forTypes(T.ecrRepository, (props, args, report) => {
    if (asRecord(props.imageScanningConfiguration).scanOnPush !== true) report(`Repository '${args.name}' does not scan on push: set imageScanningConfiguration.scanOnPush to true.`);
  }),
};

export const ecrKms: ResourceValidationPolicy = {
  name: "SEC-ECR-03-kms-encryption",
  description: "ECR repositories are encrypted with a customer-managed KMS key.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ECR.5"] }),
  validateResource: forTypes([...T.ecrRepository, ...T.ecrCreationTemplate], (props, args, report) => {
    const configs = asArray(props.encryptionConfigurations).map(asRecord);
    if (!configs.some((c) => c.encryptionType === "KMS" && asString(c.kmsKey))) report(`Repository '${args.name}' is not encrypted with a customer-managed key: set encryptionConfigurations to [{ encryptionType: 'KMS', kmsKey: <the stack's KMS key ARN> }].`);
  }),
};

export const ecrLifecyclePolicy: StackValidationPolicy = {
  name: "SEC-ECR-04-lifecycle-policy",
  description: "Every ECR repository has a lifecycle policy, so untagged layers do not pile up unscanned.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ECR.3"] }),
  validateStack: (args, report) => {
    const policies = args.resources.filter((r) => isOneOf(r.type, T.ecrLifecyclePolicy));
    for (const repo of args.resources.filter((r) => isOneOf(r.type, T.ecrRepository))) {
      const name = known(() => asString(repo.props.name));
      const joined = policies.some((p) => (p.propertyDependencies?.repository ?? []).some((d) => d.urn === repo.urn) || (name !== undefined && known(() => asString(p.props.repository)) === name));
      if (!joined) report(`Repository '${repo.name}' has no lifecycle policy: declare an aws.ecr.LifecyclePolicy for it that expires untagged images and keeps the release history.`, repo.urn);
    }
  },
};

export const ecrPolicies = [ecrImmutableTags, ecrScanOnPush, ecrKms, ecrLifecyclePolicy];
