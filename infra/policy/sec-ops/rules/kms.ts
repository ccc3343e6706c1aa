/** SEC-OPS KMS rules. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { forTypes } from "../../lib/rule";
import { T } from "../../lib/types";

export const kmsKeyRotation: ResourceValidationPolicy = {
  name: "SEC-KMS-01-key-rotation",
  description: "Symmetric KMS keys rotate their key material automatically.",
  severity: "medium",
  enforcementLevel: "mandatory",
  validateResource: forTypes(T.kmsKey, (props, _args, report) => {
    const spec = props.customerMasterKeySpec ?? props.keySpec ?? "SYMMETRIC_DEFAULT";
    // AWS supports automatic rotation only for symmetric encryption keys.
    if (spec === "SYMMETRIC_DEFAULT" && props.enableKeyRotation !== true) report("KMS key does not rotate: set enableKeyRotation to true.");
  }),
};

export const kmsPolicies = [kmsKeyRotation];
