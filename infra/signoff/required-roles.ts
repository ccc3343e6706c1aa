/**
 * Which roles must sign a release, with a floor that lives here, in code, keyed on the stack's
 * tier: a commit can raise a stack's `signoff.requiredRoles`, never lower it below the floor
 * (a committed `requiredRoles: {}` would otherwise mean GO with nobody's signature).
 *
 * One person fills at most one role of a release, so the number of distinct people a release
 * needs is the sum of its role counts. Where the config asks for fewer people than the floor,
 * roles are added in FILL_ORDER until it does.
 */
import type { StackConfig } from "../../config/schema";
import { isProductionTier } from "../release/tier";
import { SIGNOFF_ROLES, type SignoffRole } from "./allowed-signers";

export type Tier = "production" | "standard";
export type RoleCounts = Partial<Record<SignoffRole, number>>;

/** Distinct people that must sign at least: two in production (four eyes), one elsewhere. */
export const PEOPLE_FLOOR: Record<Tier, number> = { production: 2, standard: 1 };
/** The roles added, in order, when a config asks for too few people. */
export const FILL_ORDER: readonly SignoffRole[] = ["security", "operations", "architecture"];

export interface RequiredRoles {
  tier: Tier;
  /** Role → signatures needed (only roles that need at least one), in SIGNOFF_ROLES order. */
  roles: RoleCounts;
  /** Why the requirement is above what the config says (empty when it is not). */
  raised: string[];
}

export function tierOf(cfg: Pick<StackConfig, "profile">): Tier {
  return isProductionTier(cfg) ? "production" : "standard";
}

const total = (r: RoleCounts) => Object.values(r).reduce((a, b) => a + (b ?? 0), 0);

function ordered(r: RoleCounts): RoleCounts {
  return Object.fromEntries(SIGNOFF_ROLES.filter((role) => (r[role] ?? 0) > 0).map((role) => [role, r[role]]));
}

/**
 * The roles a release must have signed: the stricter of the config, what an earlier build
 * recorded in the manifest, and the floor of the stricter tier either says.
 */
export function requiredRoles(cfg: Pick<StackConfig, "signoff" | "profile">, recorded?: { tier?: Tier; roles?: RoleCounts }): RequiredRoles {
  const tier: Tier = tierOf(cfg) === "production" || recorded?.tier === "production" ? "production" : "standard";
  const roles: RoleCounts = {};
  for (const role of SIGNOFF_ROLES) {
    const n = Math.max(cfg.signoff.requiredRoles[role] ?? 0, recorded?.roles?.[role] ?? 0);
    if (n > 0) roles[role] = n;
  }
  const raised: string[] = [];
  const configured = total(roles);
  for (const role of FILL_ORDER) {
    if (total(roles) >= PEOPLE_FLOOR[tier]) break;
    if (!roles[role]) roles[role] = 1;
  }
  if (total(roles) > configured) {
    raised.push(`a ${tier}-tier stack needs at least ${PEOPLE_FLOOR[tier]} distinct ${PEOPLE_FLOOR[tier] === 1 ? "person" : "people"}; the config asks for ${configured}, so ${FILL_ORDER.filter((r) => roles[r] && !(cfg.signoff.requiredRoles[r] ?? recorded?.roles?.[r])).join(" and ")} ${configured + 1 === total(roles) ? "is" : "are"} required too`);
  }
  return { tier, roles: ordered(roles), raised };
}
