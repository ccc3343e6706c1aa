/**
 * One service on ECS Fargate behind its own ALB: log group (KMS, retention), least-privilege
 * roles, task definition on the image digest, HTTPS listener with a modern TLS policy and HTTP
 * only as a redirect, readiness health checks, circuit breaker with rollback, target-tracking
 * autoscaling within the environment's min/max. The rollout waits for the migration run.
 *
 * The service answers on its own DNS name (`<service>.<alb.dns.domain>`): an alias record in the
 * configured hosted zone and a DNS-validated ACM certificate for exactly that name, so the URL
 * the stack outputs is the one the certificate covers.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { breakGlassExecEnabled, breakGlassTags } from "../../config/break-glass";
import { isProductionTier } from "../../config/units";
import { fargateTask, type WorkloadArgs } from "./fargate-task";

export interface BackendServiceArgs extends WorkloadArgs {
  clusterName: pulumi.Input<string>;
  securityGroups: { albHttps: pulumi.Input<string>; albHttpRedirect: pulumi.Input<string>; tasks: pulumi.Input<string> };
  accessLogBucket: pulumi.Input<string>;
  /** The access-log bucket's settings and policy: AWS checks write access when logging is turned on. */
  accessLogBucketReady: pulumi.Resource[];
  /** The service's rollout starts only after this (its database's migration run) succeeded; none when it uses no database. */
  migrationRun?: pulumi.Resource;
}

export class BackendService extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  /** The DNS name the service answers on. */
  readonly hostname: string;
  readonly certificate: aws.acm.Certificate;
  readonly service: aws.ecs.Service;
  readonly loadBalancer: aws.lb.LoadBalancer;
  readonly targetGroup: aws.lb.TargetGroup;
  readonly logGroup: aws.cloudwatch.LogGroup;

  constructor(name: string, args: BackendServiceArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:service:BackendService", name, {}, opts);
    const { ctx, svc } = args;
    const child = { parent: this };
    const tags = ctx.tags({ service: svc.name });

    const task = fargateTask(name, {
      workload: args,
      logName: svc.name,
      family: ctx.names.taskFamily(svc.name),
      cpu: svc.cpu,
      memoryMiB: svc.memoryMiB,
      rolesFor: svc.name,
      container: { name: svc.name, logStreamPrefix: "service", withPort: true },
      execCommand: breakGlassExecEnabled(svc),
      tags,
      parent: this,
    });
    this.logGroup = task.logGroup;
    const taskDefinition = task.taskDefinition;

    this.loadBalancer = new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        loadBalancerType: "application",
        internal: false,
        subnets: ctx.cfg.network.publicSubnetIds,
        securityGroups: [args.securityGroups.albHttps, args.securityGroups.albHttpRedirect],
        dropInvalidHeaderFields: true,
        desyncMitigationMode: "strictest",
        idleTimeout: ctx.cfg.alb.idleTimeoutSeconds,
        // A production-tier load balancer is not deleted by a stray `pulumi destroy` or replacement.
        enableDeletionProtection: isProductionTier(ctx.cfg),
        accessLogs: { bucket: args.accessLogBucket, prefix: `alb/${svc.name}`, enabled: true },
        tags,
      },
      { ...child, dependsOn: args.accessLogBucketReady },
    );
    this.targetGroup = new aws.lb.TargetGroup(
      `${name}-tg`,
      {
        targetType: "ip",
        protocol: "HTTP",
        port: svc.port,
        vpcId: ctx.cfg.network.vpcId,
        // Connections drain at the ALB before ECS sends SIGTERM; keep it inside the stop timeout.
        deregistrationDelay: Math.min(30, svc.stopTimeoutSeconds),
        healthCheck: { path: svc.healthCheckPath, matcher: "200", interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 },
        tags,
      },
      child,
    );
    // The certificate for the service's own name, validated through the same hosted zone.
    const zoneId = ctx.cfg.alb.dns.hostedZoneId;
    this.hostname = ctx.names.serviceHostname(svc.name);
    this.certificate = new aws.acm.Certificate(`${name}-certificate`, { domainName: this.hostname, validationMethod: "DNS", keyAlgorithm: "RSA_2048", tags }, child);
    const validationOption = this.certificate.domainValidationOptions.apply((options) => {
      const o = options.find((x) => x.domainName === this.hostname);
      if (!o) throw new Error(`ACM returned no DNS validation record for ${this.hostname}`);
      return o;
    });
    const validationRecord = new aws.route53.Record(
      `${name}-certificate-validation-record`,
      { zoneId, name: validationOption.resourceRecordName, type: validationOption.resourceRecordType, records: [validationOption.resourceRecordValue], ttl: 300, allowOverwrite: true },
      child,
    );
    const validated = new aws.acm.CertificateValidation(`${name}-certificate-validation`, { certificateArn: this.certificate.arn, validationRecordFqdns: [validationRecord.fqdn] }, child);

    const https = new aws.lb.Listener(
      `${name}-https`,
      {
        loadBalancerArn: this.loadBalancer.arn,
        port: 443,
        protocol: "HTTPS",
        sslPolicy: ctx.cfg.alb.sslPolicy,
        // The validated certificate's ARN: the listener waits until ACM has issued it.
        certificateArn: validated.certificateArn,
        defaultActions: [{ type: "forward", targetGroupArn: this.targetGroup.arn }],
        tags,
      },
      child,
    );
    new aws.lb.Listener(
      `${name}-http-redirect`,
      {
        loadBalancerArn: this.loadBalancer.arn,
        port: 80,
        protocol: "HTTP",
        defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
        tags,
      },
      child,
    );

    this.service = new aws.ecs.Service(
      `${name}-service`,
      {
        name: ctx.names.ecsService(svc.name),
        cluster: args.clusterArn,
        taskDefinition: taskDefinition.arn,
        desiredCount: svc.desiredCount,
        launchType: "FARGATE",
        platformVersion: "LATEST",
        deploymentCircuitBreaker: { enable: true, rollback: true },
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        healthCheckGracePeriodSeconds: 60,
        networkConfiguration: { subnets: ctx.cfg.network.privateSubnetIds, securityGroups: [args.securityGroups.tasks], assignPublicIp: false },
        loadBalancers: [{ targetGroupArn: this.targetGroup.arn, containerName: svc.name, containerPort: svc.port }],
        propagateTags: "SERVICE",
        enableEcsManagedTags: true,
        // Break-glass only (config/break-glass.ts): off unless the service sets breakGlassExec.
        enableExecuteCommand: breakGlassExecEnabled(svc),
        // `pulumi up` fails (and the circuit breaker rolls back) if the new tasks never get healthy.
        waitForSteadyState: true,
        // The break-glass window's end, which SEC-ECS-10 judges where Exec is otherwise forbidden.
        tags: { ...tags, ...breakGlassTags(svc) },
      },
      // Autoscaling owns desiredCount after the first deploy. The name is fixed (readers find it by
      // name), so a disposable stack's replacement is created only after the old service is gone.
      {
        parent: this,
        dependsOn: args.migrationRun ? [https, args.migrationRun] : [https],
        ignoreChanges: ["desiredCount"],
        ...(ctx.names.disposable ? { deleteBeforeReplace: true } : {}),
      },
    );

    const scaling = new aws.appautoscaling.Target(
      `${name}-scaling`,
      {
        serviceNamespace: "ecs",
        scalableDimension: "ecs:service:DesiredCount",
        resourceId: pulumi.interpolate`service/${args.clusterName}/${this.service.name}`,
        minCapacity: svc.minCount,
        maxCapacity: svc.maxCount,
        tags,
      },
      child,
    );
    new aws.appautoscaling.Policy(
      `${name}-cpu-target`,
      {
        policyType: "TargetTrackingScaling",
        serviceNamespace: scaling.serviceNamespace,
        scalableDimension: scaling.scalableDimension,
        resourceId: scaling.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          targetValue: svc.cpuTargetPercent,
          predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" },
          scaleInCooldown: 300,
          scaleOutCooldown: 60,
        },
      },
      child,
    );

    // The name clients use: an alias to the load balancer (no TTL to keep in step with it).
    const record = new aws.route53.Record(
      `${name}-dns`,
      { zoneId, name: this.hostname, type: "A", aliases: [{ name: this.loadBalancer.dnsName, zoneId: this.loadBalancer.zoneId, evaluateTargetHealth: true }] },
      child,
    );
    this.url = pulumi.interpolate`https://${record.fqdn}`;
    this.registerOutputs({ url: this.url, serviceName: this.service.name });
  }
}
