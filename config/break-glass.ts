/**
 * Break-glass access: ECS Exec into a service's tasks (and one-off tasks from its task
 * definition). Off unless a service sets `breakGlassExec: true` — in every stack, so a
 * production-tier stack never has it by accident. Where policy forbids ECS Exec (SEC-ECS-10,
 * production tier) it also needs `breakGlassUntil`: the service carries the window's end as the
 * tag `break-glass-until`, and the policy accepts Exec only until then.
 * Every session is an `ecs:ExecuteCommand` call in CloudTrail (who, when, which task).
 */
import type { ServiceConfig } from "./schema";

/** The service tag SEC-ECS-10 reads (infra/policy/sec-ops/rules/ecs.ts BREAK_GLASS_TAG). */
export const BREAK_GLASS_TAG = "break-glass-until";

export function breakGlassExecEnabled(svc: Pick<ServiceConfig, "breakGlassExec">): boolean {
  return svc.breakGlassExec === true;
}

/** The tags a service carries while its break-glass window is open. */
export function breakGlassTags(svc: Pick<ServiceConfig, "breakGlassExec" | "breakGlassUntil">): Record<string, string> {
  return breakGlassExecEnabled(svc) && svc.breakGlassUntil ? { [BREAK_GLASS_TAG]: svc.breakGlassUntil } : {};
}

/** The commands that switch it, for runbooks; a window (`hours`) where policy needs one. */
export function breakGlassSwitch(stack: string, serviceIndex: number, on: boolean, hours?: number): string[] {
  const path = (key: string) => `--path 'services[${serviceIndex}].${key}'`;
  if (!on) return [`pulumi config set --stack ${stack} ${path("breakGlassExec")} false`, ...(hours ? [`pulumi config rm --stack ${stack} ${path("breakGlassUntil")}`] : [])];
  return [
    `pulumi config set --stack ${stack} ${path("breakGlassExec")} true`,
    ...(hours ? [`pulumi config set --stack ${stack} ${path("breakGlassUntil")} "$(date -u -d '+${hours} hours' +%Y-%m-%dT%H:%M:%SZ)"`] : []),
  ];
}
