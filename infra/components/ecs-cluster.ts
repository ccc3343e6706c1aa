/** The ECS cluster the services and migration tasks run in, with Container Insights on. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "../context";

export class EcsCluster extends pulumi.ComponentResource {
  readonly cluster: aws.ecs.Cluster;

  constructor(name: string, args: { ctx: StackContext; logsKeyArn: pulumi.Input<string> }, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:service:EcsCluster", name, {}, opts);
    const { ctx } = args;
    const clusterName = ctx.names.cluster;
    // Container Insights would create its log group itself: unencrypted, kept forever.
    const insights = new aws.cloudwatch.LogGroup(
      `${name}-insights-log`,
      {
        name: ctx.names.containerInsightsLogGroup,
        retentionInDays: ctx.cfg.logs.retentionDays,
        kmsKeyId: args.logsKeyArn,
        tags: ctx.tags({ "data-classification": ctx.cfg.tags.dataClassification, owner: ctx.cfg.tags.owner }),
      },
      { parent: this },
    );
    this.cluster = new aws.ecs.Cluster(
      name,
      { name: clusterName, settings: [{ name: "containerInsights", value: "enhanced" }], tags: ctx.tags() },
      { parent: this, dependsOn: [insights] },
    );
    this.registerOutputs({ arn: this.cluster.arn });
  }
}
