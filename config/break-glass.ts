/**
 * Break-glass access: ECS Exec into a service's tasks (and one-off tasks from its task
 * definition). Off unless a service sets `breakGlassExec: true` — in every stack, so a
 * production-tier stack never has it by accident. Where policy forbids ECS Exec (SEC-ECS-10,
 * production tier) it also needs `breakGlassUntil`: the service carries the window's end as the
 * tag `break-glass-until`, and the policy accepts Exec only until then.
 * Every session is an `ecs:ExecuteCommand` call in CloudTrail (who, when, which task).
 */
import type { ServiceConfig, StackConfig } from "./schema";
import { isProductionTier } from "./units";

/** The service tag SEC-ECS-10 reads (infra/policy/sec-ops/rules/ecs.ts). */
export const BREAK_GLASS_TAG = "break-glass-until";
/** The longest window accepted where ECS Exec is otherwise forbidden (SEC-ECS-10's default breakGlassMaxHours). */
export const BREAK_GLASS_MAX_HOURS = 12;

/** How a break-glass window's end is written: a UTC instant to the second. */
export const UTC_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** A UTC instant to the second, as written and as it round-trips (no 30 February rolled into March). */
export function parseUtcInstant(value: unknown): number | undefined {
  if (typeof value !== "string" || !UTC_INSTANT.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) || new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z") !== value ? undefined : ms;
}

/**
 * Why a break-glass window is not acceptable now (undefined when it is): ended, too long, or not
 * an instant. The policy judges the same when it runs; the program judges it too, so an update
 * run without the policy packs cannot open a window that is long or already over.
 */
export function breakGlassWindowProblem(until: unknown, maxHours: number, now: number): string | undefined {
  const end = parseUtcInstant(until);
  if (end === undefined) return `its ${BREAK_GLASS_TAG} tag ${JSON.stringify(until)} is not a UTC instant like 2026-01-31T18:00:00Z: set breakGlassUntil to one, or switch break-glass off`;
  if (end <= now) return `its break-glass window ended at ${String(until)}: switch it off (breakGlassExec: false, breakGlassUntil removed) and pulumi up`;
  if (end - now > maxHours * 3_600_000) return `its break-glass window runs until ${String(until)}, more than ${maxHours} hours from now: set breakGlassUntil at most ${maxHours} hours ahead`;
  return undefined;
}

export function breakGlassExecEnabled(svc: Pick<ServiceConfig, "breakGlassExec">): boolean {
  return svc.breakGlassExec === true;
}

/** The tags a service carries while its break-glass window is open. */
export function breakGlassTags(svc: Pick<ServiceConfig, "breakGlassExec" | "breakGlassUntil">): Record<string, string> {
  return breakGlassExecEnabled(svc) && svc.breakGlassUntil ? { [BREAK_GLASS_TAG]: svc.breakGlassUntil } : {};
}

/** A shell command printing the UTC instant `hours` from now, to the second. */
export const UNTIL_IN_HOURS = (hours: number): string => `node -p 'new Date(Date.now() + ${hours} * 3600e3).toISOString().slice(0, 19) + "Z"'`;

/** The commands that switch it, for runbooks; a window (`hours`) where policy needs one. */
export function breakGlassSwitch(stack: string, serviceIndex: number, on: boolean, hours?: number): string[] {
  const path = (key: string) => `--path 'services[${serviceIndex}].${key}'`;
  if (!on) return [`pulumi config set --stack ${stack} ${path("breakGlassExec")} false`, ...(hours ? [`pulumi config rm --stack ${stack} ${path("breakGlassUntil")}`] : [])];
  return [
    `pulumi config set --stack ${stack} ${path("breakGlassExec")} true`,
    // Node, not date(1): GNU and BSD date disagree on relative times, and the procedure needs Node anyway.
    ...(hours ? [`${UNTIL_IN_HOURS(hours)} | xargs -I{} pulumi config set --stack ${stack} ${path("breakGlassUntil")} {}`] : []),
  ];
}

/**
 * The program's own check of every open window on a production tier (where SEC-ECS-10 forbids
 * Exec otherwise): with the S3 backend the policy packs are a flag the operator may leave out.
 */
export function breakGlassProblems(cfg: Pick<StackConfig, "profile" | "services">, now: number): string[] {
  if (!isProductionTier(cfg)) return [];
  return cfg.services.flatMap((svc, i) => {
    if (!breakGlassExecEnabled(svc)) return [];
    const problem = breakGlassWindowProblem(svc.breakGlassUntil, BREAK_GLASS_MAX_HOURS, now);
    return problem ? [`services[${i}] (${svc.name}) enables ECS Exec, but ${problem.replace(/^its /, "the service's ")}`] : [];
  });
}
