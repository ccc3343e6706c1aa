/**
 * Whether a stack is production-tier: the one question every stricter release rule asks (the
 * sign-off floor, the archive's legal hold). Today the environment answers it; once stacks carry
 * a profile, only this function changes, so every caller must go through it.
 */
import type { StackConfig } from "../../config/schema";

export function isProductionTier(cfg: Pick<StackConfig, "environment">): boolean {
  return cfg.environment === "prod";
}
