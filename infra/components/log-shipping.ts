/**
 * Logs to Datadog, end to end: every log group the monitors and the dashboard search (each
 * service's, the migration workload's, the RDS postgresql export) is subscribed to the account's
 * Datadog Forwarder (`logs.datadogForwarderArn`), which CloudWatch Logs may invoke for exactly
 * those groups; and the Datadog log index the log monitors query (`logs.datadogIndex`) exists,
 * filtered to this environment and kept `logs.datadogRetentionDays`.
 */
import * as aws from "@pulumi/aws";
import * as datadog from "@pulumi/datadog";
import * as pulumi from "@pulumi/pulumi";

export interface ShippedLogGroup {
  /** Stable resource-name stem (`orders-api`, `orders-api-migrations`, `postgresql`). */
  key: string;
  name: pulumi.Input<string>;
  arn: pulumi.Input<string>;
}

export interface LogShippingArgs {
  region: string;
  forwarderArn: string;
  logGroups: ShippedLogGroup[];
  index: { name: string; query: string; retentionDays: number; tags: string[] };
  /** The explicit Datadog provider (site from config). */
  datadogProvider: pulumi.ProviderResource;
}

/** What the index keeps: the environment's logs (the forwarder tags them `env:` from the log group). */
export function logsIndexQuery(environment: string): string {
  return `env:${environment}`;
}

export class LogShipping extends pulumi.ComponentResource {
  readonly index: datadog.LogsIndex;
  readonly subscriptions: aws.cloudwatch.LogSubscriptionFilter[] = [];

  constructor(name: string, args: LogShippingArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:logs:LogShipping", name, {}, opts);
    for (const group of args.logGroups) {
      // CloudWatch Logs checks it may invoke the function when the filter is created.
      const permission = new aws.lambda.Permission(
        `${name}-${group.key}-invoke`,
        {
          function: args.forwarderArn,
          action: "lambda:InvokeFunction",
          principal: `logs.${args.region}.amazonaws.com`,
          sourceArn: pulumi.interpolate`${group.arn}:*`,
        },
        { parent: this },
      );
      this.subscriptions.push(
        new aws.cloudwatch.LogSubscriptionFilter(
          `${name}-${group.key}`,
          { name: "datadog-forwarder", logGroup: group.name, destinationArn: args.forwarderArn, filterPattern: "" },
          { parent: this, dependsOn: [permission] },
        ),
      );
    }
    this.index = new datadog.LogsIndex(
      `${name}-index`,
      { name: args.index.name, filters: [{ query: args.index.query }], retentionDays: args.index.retentionDays, tags: args.index.tags },
      { parent: this, provider: args.datadogProvider },
    );
    this.registerOutputs({ index: this.index.name, logGroups: args.logGroups.map((g) => g.name) });
  }
}
