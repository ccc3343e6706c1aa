/**
 * Whether a stack is production-tier: the one question every stricter release rule asks (the
 * sign-off floor, the archive's legal hold). The stack's profile answers it (config/units.ts);
 * release code asks through here so the answer has one definition.
 */
export { isProductionTier } from "../../config/units";
