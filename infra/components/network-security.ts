/**
 * Security groups that admit only what is needed, in the existing VPC:
 * clients -> ALB (443, and 80 only so the listener can redirect to HTTPS),
 * ALB -> service port, service/migration task -> database 5432, tasks -> HTTPS egress (AWS APIs, ECR).
 * Rules are separate resources so a change to one rule never replaces the group.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "../context";

export interface NetworkSecurityArgs {
  ctx: StackContext;
  /** Ports the services listen on (each ALB forwards to its service's port). */
  servicePorts: number[];
}

export class NetworkSecurity extends pulumi.ComponentResource {
  readonly albHttps: aws.ec2.SecurityGroup;
  readonly albHttpRedirect: aws.ec2.SecurityGroup;
  readonly tasks: aws.ec2.SecurityGroup;
  readonly database: aws.ec2.SecurityGroup;

  constructor(name: string, args: NetworkSecurityArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:network:NetworkSecurity", name, {}, opts);
    const { ctx } = args;
    const vpcId = ctx.cfg.network.vpcId;
    const group = (id: string, description: string, purpose: string) =>
      new aws.ec2.SecurityGroup(`${name}-${id}`, { vpcId, description, revokeRulesOnDelete: true, tags: ctx.tags({ purpose }) }, { parent: this });
    this.albHttps = group("alb-https", "Clients to the load balancer over HTTPS", "alb-https");
    this.albHttpRedirect = group("alb-http", "Clients to the load balancer's HTTP listener, which only redirects to HTTPS", "alb-http-redirect");
    this.tasks = group("tasks", "Service and migration tasks", "ecs-tasks");
    this.database = group("database", "PostgreSQL, reachable from the tasks only", "database");

    ctx.cfg.alb.ingressCidrs.forEach((cidr, i) => {
      new aws.vpc.SecurityGroupIngressRule(`${name}-alb-https-in-${i}`, { securityGroupId: this.albHttps.id, cidrIpv4: cidr, ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "HTTPS from clients" }, { parent: this });
      new aws.vpc.SecurityGroupIngressRule(`${name}-alb-http-in-${i}`, { securityGroupId: this.albHttpRedirect.id, cidrIpv4: cidr, ipProtocol: "tcp", fromPort: 80, toPort: 80, description: "HTTP from clients, redirected to HTTPS" }, { parent: this });
    });
    for (const port of [...new Set(args.servicePorts)]) {
      new aws.vpc.SecurityGroupEgressRule(`${name}-alb-to-tasks-${port}`, { securityGroupId: this.albHttps.id, referencedSecurityGroupId: this.tasks.id, ipProtocol: "tcp", fromPort: port, toPort: port, description: "ALB to service port" }, { parent: this });
      new aws.vpc.SecurityGroupIngressRule(`${name}-tasks-from-alb-${port}`, { securityGroupId: this.tasks.id, referencedSecurityGroupId: this.albHttps.id, ipProtocol: "tcp", fromPort: port, toPort: port, description: "Service port from the ALB only" }, { parent: this });
    }
    new aws.vpc.SecurityGroupEgressRule(`${name}-tasks-to-db`, { securityGroupId: this.tasks.id, referencedSecurityGroupId: this.database.id, ipProtocol: "tcp", fromPort: 5432, toPort: 5432, description: "Tasks to PostgreSQL" }, { parent: this });
    new aws.vpc.SecurityGroupEgressRule(`${name}-tasks-https-out`, { securityGroupId: this.tasks.id, cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 443, toPort: 443, description: "HTTPS to AWS APIs, ECR and Secrets Manager" }, { parent: this });
    new aws.vpc.SecurityGroupIngressRule(`${name}-db-from-tasks`, { securityGroupId: this.database.id, referencedSecurityGroupId: this.tasks.id, ipProtocol: "tcp", fromPort: 5432, toPort: 5432, description: "PostgreSQL from the tasks only" }, { parent: this });
    this.registerOutputs({ albHttps: this.albHttps.id, albHttpRedirect: this.albHttpRedirect.id, tasks: this.tasks.id, database: this.database.id });
  }
}
