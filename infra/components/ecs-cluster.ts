/** The ECS cluster the services and migration tasks run in, with Container Insights on. */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "../context";

export class EcsCluster extends pulumi.ComponentResource {
  readonly cluster: aws.ecs.Cluster;

  constructor(name: string, args: { ctx: StackContext }, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:service:EcsCluster", name, {}, opts);
    this.cluster = new aws.ecs.Cluster(
      name,
      { name: `backend-release-${args.ctx.stack}`, settings: [{ name: "containerInsights", value: "enhanced" }], tags: args.ctx.tags() },
      { parent: this },
    );
    this.registerOutputs({ arn: this.cluster.arn });
  }
}
