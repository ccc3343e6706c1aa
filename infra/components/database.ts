/**
 * RDS PostgreSQL: encrypted with the customer `data` key, master password managed by RDS in
 * Secrets Manager (never in config or state), backups and deletion protection per environment,
 * Multi-AZ in prod, Performance Insights encrypted, private, slow statements logged.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackContext } from "../context";

export interface DatabaseArgs {
  ctx: StackContext;
  kmsKeyArn: pulumi.Input<string>;
  securityGroupId: pulumi.Input<string>;
  logsKeyArn: pulumi.Input<string>;
}

export class Database extends pulumi.ComponentResource {
  readonly instance: aws.rds.Instance;
  /** ARN of the RDS-managed master secret (JSON with `username` and `password`). */
  readonly masterSecretArn: pulumi.Output<string>;

  constructor(name: string, args: DatabaseArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:database:Database", name, {}, opts);
    const { ctx } = args;
    const db = ctx.cfg.database;
    const major = db.engineVersion.split(".")[0];
    const dataTags = ctx.tags({ "data-classification": ctx.cfg.tags.dataClassification, owner: ctx.cfg.tags.owner, purpose: "orders-database" });

    const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, { subnetIds: ctx.cfg.network.privateSubnetIds, description: "Private subnets for the orders database", tags: ctx.tags() }, { parent: this });
    const params = new aws.rds.ParameterGroup(
      `${name}-params`,
      {
        family: `postgres${major}`,
        description: `orders database parameters (${ctx.stack})`,
        parameters: [
          // Slow statements reach the postgresql log export (and from there Datadog).
          { name: "log_min_duration_statement", value: String(db.slowStatementMs) },
          { name: "log_lock_waits", value: "1" },
          { name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" },
          { name: "shared_preload_libraries", value: "pg_stat_statements", applyMethod: "pending-reboot" },
        ],
        tags: ctx.tags(),
      },
      { parent: this },
    );

    // RDS would create the export's log group itself: unencrypted, kept forever. Declared first, ours wins.
    const identifier = `backend-release-${ctx.stack}-orders`;
    const postgresLog = new aws.cloudwatch.LogGroup(
      `${name}-postgresql-log`,
      { name: `/aws/rds/instance/${identifier}/postgresql`, retentionInDays: ctx.cfg.logs.retentionDays, kmsKeyId: args.logsKeyArn, tags: dataTags },
      { parent: this },
    );

    this.instance = new aws.rds.Instance(
      `${name}-instance`,
      {
        identifier,
        engine: "postgres",
        engineVersion: db.engineVersion,
        instanceClass: db.instanceClass,
        allocatedStorage: db.allocatedStorageGiB,
        maxAllocatedStorage: db.maxAllocatedStorageGiB,
        storageType: "gp3",
        storageEncrypted: true,
        kmsKeyId: args.kmsKeyArn,
        dbName: db.dbName,
        username: db.masterUsername,
        manageMasterUserPassword: true,
        masterUserSecretKmsKeyId: args.kmsKeyArn,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [args.securityGroupId],
        parameterGroupName: params.name,
        publiclyAccessible: false,
        multiAz: db.multiAz,
        backupRetentionPeriod: db.backupRetentionDays,
        backupWindow: "02:00-03:00",
        maintenanceWindow: "sun:03:30-sun:04:30",
        deletionProtection: db.deletionProtection,
        skipFinalSnapshot: false,
        finalSnapshotIdentifier: `backend-release-${ctx.stack}-orders-final`,
        copyTagsToSnapshot: true,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: args.kmsKeyArn,
        performanceInsightsRetentionPeriod: db.performanceInsightsRetentionDays,
        enabledCloudwatchLogsExports: ["postgresql"],
        autoMinorVersionUpgrade: true,
        iamDatabaseAuthenticationEnabled: true,
        applyImmediately: false,
        tags: dataTags,
      },
      { parent: this, ...ctx.stateful, dependsOn: [postgresLog] },
    );
    this.masterSecretArn = this.instance.masterUserSecrets.apply((s) => {
      const arn = s?.[0]?.secretArn;
      if (!arn) throw new Error("RDS did not return a managed master user secret");
      return arn;
    });
    this.registerOutputs({ endpoint: this.instance.endpoint, masterSecretArn: this.masterSecretArn });
  }
}
