/**
 * RDS PostgreSQL: encrypted with the customer `data` key, master password managed by RDS in
 * Secrets Manager (never in config or state), backups and deletion protection as configured,
 * Multi-AZ where configured, Performance Insights encrypted, private, slow statements logged.
 *
 * The engine is pinned to its major version with automatic minor upgrades (a pinned minor would
 * make a later `up` try to downgrade). A disposable database (non-production) can be replaced and
 * torn down again and again: deleted before its replacement is created (the identifier is fixed,
 * so readers keep finding it) and its final snapshot named with a per-instance random suffix.
 *
 * Narrow inputs: the database's own config block, its physical names, the network it lives in;
 * `stack.ts` adapts the stack config to these.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { DatabaseConfig } from "../../config/schema";

export interface DatabaseArgs {
  config: Omit<DatabaseConfig, "migrations">;
  /** `finalSnapshot` is the exact name, or (disposable) the prefix of a per-instance name. */
  names: { identifier: string; finalSnapshot: string; postgresLogGroup: string };
  /** Non-production: replaced delete-first, final snapshot name unique per instance. */
  disposable?: boolean;
  /** Shown in descriptions only. */
  stackLabel: string;
  privateSubnetIds: string[];
  securityGroupId: pulumi.Input<string>;
  kmsKeyArn: pulumi.Input<string>;
  logsKeyArn: pulumi.Input<string>;
  logRetentionDays: number;
  tags: Record<string, string>;
  dataTags: Record<string, string>;
  /** protect / retainOnDelete for the instance. */
  stateful: pulumi.CustomResourceOptions;
}

export class Database extends pulumi.ComponentResource {
  readonly instance: aws.rds.Instance;
  /** ARN of the RDS-managed master secret (JSON with `username` and `password`): the migration task's only. */
  readonly masterSecretArn: pulumi.Output<string>;
  /** The log group of the postgresql export (Datadog ships it from there). */
  readonly postgresLog: aws.cloudwatch.LogGroup;

  constructor(name: string, args: DatabaseArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("backend-release:database:Database", name, {}, opts);
    const db = args.config;
    const major = db.engineVersion;

    const subnets = new aws.rds.SubnetGroup(`${name}-subnets`, { subnetIds: args.privateSubnetIds, description: `Private subnets for the ${db.dbName} database`, tags: args.tags }, { parent: this });
    const params = new aws.rds.ParameterGroup(
      `${name}-params`,
      {
        family: `postgres${major}`,
        description: `${db.dbName} database parameters (${args.stackLabel})`,
        parameters: [
          // Slow statements reach the postgresql log export (and from there Datadog).
          { name: "log_min_duration_statement", value: String(db.slowStatementMs) },
          { name: "log_lock_waits", value: "1" },
          { name: "rds.force_ssl", value: "1", applyMethod: "pending-reboot" },
          { name: "shared_preload_libraries", value: "pg_stat_statements", applyMethod: "pending-reboot" },
        ],
        tags: args.tags,
      },
      { parent: this },
    );

    // RDS would create the export's log group itself: unencrypted, kept forever. Declared first, ours wins.
    const postgresLog = (this.postgresLog = new aws.cloudwatch.LogGroup(
      `${name}-postgresql-log`,
      { name: args.names.postgresLogGroup, retentionInDays: args.logRetentionDays, kmsKeyId: args.logsKeyArn, tags: args.dataTags },
      { parent: this },
    ));

    // A final snapshot name must not exist yet when the instance is deleted: a disposable
    // database gets a new suffix whenever it is replaced (keepers: what forces replacement) or
    // torn down and created again.
    const finalSnapshotIdentifier = args.disposable
      ? pulumi.interpolate`${args.names.finalSnapshot}-${
          new random.RandomId(
            `${name}-final-snapshot-suffix`,
            { byteLength: 4, keepers: { identifier: args.names.identifier, dbName: db.dbName, username: db.masterUsername, kmsKeyId: args.kmsKeyArn, subnets: subnets.name } },
            { parent: this },
          ).hex
        }`
      : args.names.finalSnapshot;

    this.instance = new aws.rds.Instance(
      `${name}-instance`,
      {
        identifier: args.names.identifier,
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
        finalSnapshotIdentifier,
        copyTagsToSnapshot: true,
        performanceInsightsEnabled: true,
        performanceInsightsKmsKeyId: args.kmsKeyArn,
        performanceInsightsRetentionPeriod: db.performanceInsightsRetentionDays,
        enabledCloudwatchLogsExports: ["postgresql"],
        autoMinorVersionUpgrade: true,
        iamDatabaseAuthenticationEnabled: true,
        applyImmediately: false,
        tags: args.dataTags,
      },
      // The identifier is fixed: a replacement can only be created once the old instance is gone.
      { parent: this, ...args.stateful, dependsOn: [postgresLog], ...(args.disposable ? { deleteBeforeReplace: true } : {}) },
    );
    this.masterSecretArn = this.instance.masterUserSecrets.apply((s) => {
      const arn = s?.[0]?.secretArn;
      if (!arn) throw new Error("RDS did not return a managed master user secret");
      return arn;
    });
    this.registerOutputs({ endpoint: this.instance.endpoint, masterSecretArn: this.masterSecretArn });
  }

  /**
   * The IAM resource a role needs `rds-db:connect` on to log in as `username` with IAM database
   * authentication: `arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<username>`.
   */
  iamDbUserArn(username: string): pulumi.Output<string> {
    return pulumi.all([this.instance.arn, this.instance.resourceId]).apply(([arn, resourceId]) => {
      const [, partition, , region, account] = arn.split(":");
      return `arn:${partition}:rds-db:${region}:${account}:dbuser:${resourceId}/${username}`;
    });
  }
}
