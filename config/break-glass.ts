/**
 * Break-glass access: ECS Exec into a service's tasks (and one-off tasks from its task
 * definition). Off by default in a production-tier stack, on by default elsewhere; a service's
 * `breakGlassExec` overrides the default. Every session is an `ecs:ExecuteCommand` call in
 * CloudTrail (who, when, which task), so access is audited whether or not it is on.
 */
import type { ServiceConfig, StackConfig } from "./schema";
import { isProductionTier } from "./units";

export function breakGlassExecEnabled(cfg: Pick<StackConfig, "profile">, svc: Pick<ServiceConfig, "breakGlassExec">): boolean {
  return svc.breakGlassExec ?? !isProductionTier(cfg);
}

/** The config path that switches it, for messages and runbooks. */
export function breakGlassSwitch(stack: string, serviceIndex: number, on: boolean): string {
  return `pulumi config set --stack ${stack} --path 'services[${serviceIndex}].breakGlassExec' ${on}`;
}
