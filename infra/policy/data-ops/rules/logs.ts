/** DATA-OPS log rule: logs are kept at least as long as incident reviews and audits need. */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { controls } from "../../lib/controls";
import { configOf, forTypes } from "../../lib/rule";
import { T } from "../../lib/types";

interface RetentionConfig {
  minimumDays: number;
}

export const logRetention: ResourceValidationPolicy = {
  name: "DATA-LOG-01-retention-minimum",
  description: "Log groups set an explicit retention of at least the configured number of days.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["CloudWatch.16"] }),
  configSchema: {
    properties: { minimumDays: { type: "integer", minimum: 1, default: 30, description: "Minimum retentionInDays." } },
  },
  validateResource: forTypes(T.logGroup, (props, args, report) => {
    const { minimumDays } = configOf<RetentionConfig>(args, { minimumDays: 30 });
    const days = Number(props.retentionInDays ?? 0);
    // 0 / unset means "never expire": no explicit decision, unbounded cost and personal data kept forever.
    if (days < minimumDays) report(`Log group '${args.name}' retention is ${days > 0 ? `${days} days` : "unset"}: set retentionInDays to at least ${minimumDays}.`);
  }),
};

export const logPolicies = [logRetention];
