/**
 * Every secret the stack needs, derived from the config: provider credentials and each service's
 * runtime secrets. The program refuses to run without them (naming the command that sets each),
 * and the offline preview gives each a placeholder marked secret.
 */
import type { StackConfig } from "./schema";
import { PROJECT } from "./schema";

export interface RequiredSecret {
  /** Full config key, e.g. `datadog:apiKey` or `backend-release:runtimeSecrets`. */
  key: string;
  /** For structured secrets: the path inside the key's object (`[service, NAME]`). */
  path?: [string, string];
  description: string;
  /** The exact command that sets it. */
  command: string;
}

export function requiredSecrets(cfg: StackConfig, stack: string): RequiredSecret[] {
  const set = (key: string, path?: string) =>
    `pulumi config set --secret --stack ${stack}${path ? ` --path '${key}.${path}'` : ` ${key}`} <value>`;
  const out: RequiredSecret[] = [
    { key: "datadog:apiKey", description: "Datadog API key", command: set("datadog:apiKey") },
    { key: "datadog:appKey", description: "Datadog application key", command: set("datadog:appKey") },
    { key: "pagerduty:token", description: "PagerDuty REST API token", command: set("pagerduty:token") },
  ];
  for (const svc of cfg.services) {
    for (const name of svc.secrets) {
      out.push({
        key: `${PROJECT}:runtimeSecrets`,
        path: [svc.name, name],
        description: `runtime secret ${name} of service ${svc.name}`,
        command: set(`${PROJECT}:runtimeSecrets`, `${svc.name}.${name}`).replace(` --path '${PROJECT}:runtimeSecrets.`, " --path 'runtimeSecrets."),
      });
    }
  }
  return out;
}
