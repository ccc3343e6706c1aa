/** SEC-OPS KMS rules: key material rotates, and no key policy skips the lockout safety check. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { controls } from "../../lib/controls";
import { configOf, forTypes } from "../../lib/rule";
import { T } from "../../lib/types";

export const kmsKeyRotation: ResourceValidationPolicy = {
  name: "SEC-KMS-01-key-rotation",
  description: "Symmetric KMS keys rotate their key material automatically, at least as often as the policy config says.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["KMS.4"], cis: ["3.6"] }),
  configSchema: {
    properties: { maximumRotationDays: { type: "integer", minimum: 90, maximum: 2560, default: 365, description: "Longest accepted rotationPeriodInDays (AWS's default period is 365)." } },
  },
  validateResource: forTypes(T.kmsKey, (props, args, report) => {
    const { maximumRotationDays } = configOf<{ maximumRotationDays: number }>(args, { maximumRotationDays: 365 });
    const spec = props.customerMasterKeySpec ?? props.keySpec ?? "SYMMETRIC_DEFAULT";
    // AWS supports automatic rotation only for symmetric encryption keys.
    if (spec !== "SYMMETRIC_DEFAULT" || props.keyUsage === "GENERATE_VERIFY_MAC") return;
    const period = Number(props.rotationPeriodInDays ?? 365);
    if (props.enableKeyRotation !== true) report(`KMS key '${args.name}' does not rotate: set enableKeyRotation to true.`);
    else if (period > maximumRotationDays) report(`KMS key '${args.name}' rotates only every ${period} days: set rotationPeriodInDays to at most ${maximumRotationDays}.`);
  }),
};

export const kmsPolicyLockoutCheck: ResourceValidationPolicy = {
  name: "SEC-KMS-02-policy-lockout-check",
  description: "Key policies are written with KMS's lockout safety check on, so a policy cannot make the key unmanageable.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:kms/keyPolicy:KeyPolicy" }),
  validateResource: forTypes([...T.kmsKeys, ...T.kmsKeyPolicy], (props, args, report) => {
    if (props.bypassPolicyLockoutSafetyCheck === true) report(`'${args.name}' bypasses the KMS key policy lockout safety check: remove bypassPolicyLockoutSafetyCheck (or set it to false).`);
  }),
};

export const kmsPolicies = [kmsKeyRotation, kmsPolicyLockoutCheck];
