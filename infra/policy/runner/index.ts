/** The offline policy runner's public surface (used by `policy` and `release`). */
export { PolicyRunner, runPolicies, PACK_DIRS, type EvaluateOptions, type PackIsolation } from "./run";
export { toJson, toMarkdown, type PolicyReport, type PolicyViolation } from "./report";
export { toSarif } from "./sarif";
export { loadPolicyConfig, parsePolicyConfig, reconcile, PolicyConfigError, type PolicyPackConfig } from "./config";
export { PolicyServerError, type PackInfo, type PolicyMeta } from "./server";
