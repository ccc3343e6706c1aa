/**
 * Break-glass access: ECS Exec into a service's tasks (and one-off tasks from its task
 * definition). Off unless a service sets `breakGlassExec: true` — in every stack, so a
 * production-tier stack never has it by accident; switching it on is a reviewed config change.
 * Every session is an `ecs:ExecuteCommand` call in CloudTrail (who, when, which task).
 */
import type { ServiceConfig } from "./schema";

export function breakGlassExecEnabled(svc: Pick<ServiceConfig, "breakGlassExec">): boolean {
  return svc.breakGlassExec === true;
}

/** The command that switches it, for runbooks. */
export function breakGlassSwitch(stack: string, serviceIndex: number, on: boolean): string {
  return `pulumi config set --stack ${stack} --path 'services[${serviceIndex}].breakGlassExec' ${on}`;
}
