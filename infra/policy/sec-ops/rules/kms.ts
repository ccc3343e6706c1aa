/** SEC-OPS KMS rules: key material rotates, and no key policy skips the lockout safety check. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { controls } from "../../lib/controls";
import { forTypes } from "../../lib/rule";
import { T } from "../../lib/types";

export const kmsKeyRotation: ResourceValidationPolicy = {
  name: "SEC-KMS-01-key-rotation",
  description: "Symmetric KMS keys rotate their key material automatically.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["KMS.4"], cis: ["3.6"] }),
  validateResource: forTypes(T.kmsKey, (props, args, report) => {
    const spec = props.customerMasterKeySpec ?? props.keySpec ?? "SYMMETRIC_DEFAULT";
    // AWS supports automatic rotation only for symmetric encryption keys.
    if (spec === "SYMMETRIC_DEFAULT" && props.keyUsage !== "GENERATE_VERIFY_MAC" && props.enableKeyRotation !== true) report(`KMS key '${args.name}' does not rotate: set enableKeyRotation to true.`);
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
