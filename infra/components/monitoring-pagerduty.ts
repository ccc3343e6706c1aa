/**
 * The Datadog side of the PagerDuty integration: one service object per PagerDuty service, named
 * like it, so a monitor's `@pagerduty-<name>` resolves to that service's Datadog integration key.
 */
import * as datadog from "@pulumi/datadog";
import * as pulumi from "@pulumi/pulumi";
import type { PagerDutyServicePlan } from "../observability/oncall-plan";

export interface PagerDutyServiceObjectsArgs {
  services: PagerDutyServicePlan[];
  /** Integration key per app service name (from the OnCall component). */
  integrationKeys: Record<string, pulumi.Input<string>>;
}

export class PagerDutyServiceObjects extends pulumi.ComponentResource {
  /** Service object per app service name. */
  readonly byService: Record<string, datadog.pagerduty.ServiceObject>;

  constructor(name: string, args: PagerDutyServiceObjectsArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:monitoring:PagerDutyServiceObjects", name, {}, opts);
    this.byService = {};
    for (const svc of args.services) {
      const key = args.integrationKeys[svc.service];
      if (key === undefined) throw new Error(`no PagerDuty integration key for service ${svc.service}`);
      this.byService[svc.service] = new datadog.pagerduty.ServiceObject(`${name}-${svc.service}`, { serviceName: svc.name, serviceKey: pulumi.secret(key) }, { parent: this });
    }
    this.registerOutputs({ serviceNames: args.services.map((s) => s.name) });
  }
}
