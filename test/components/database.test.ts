/** The Database component on its own, from its narrow inputs (no stack config, no context). */
import { beforeAll, describe, expect, it } from "vitest";
import { Database, type DatabaseArgs } from "../../infra/components/database";
import type { DeploymentResource } from "../../infra/preview/deployment";
import { recordComponent } from "../support/component";

const args: DatabaseArgs = {
  config: {
    engineVersion: "16",
    instanceClass: "db.t4g.small",
    allocatedStorageGiB: 20,
    maxAllocatedStorageGiB: 40,
    dbName: "billing",
    masterUsername: "billing_admin",
    serviceUsername: "billing_app",
    backupRetentionDays: 14,
    multiAz: true,
    deletionProtection: true,
    performanceInsightsRetentionDays: 7,
    slowStatementMs: 250,
    migrationLockTimeoutMs: 2000,
    migrationStatementTimeoutMs: 60000,
  },
  names: { identifier: "acme-unit-billing", finalSnapshot: "acme-unit-billing-final", postgresLogGroup: "/aws/rds/instance/acme-unit-billing/postgresql" },
  stackLabel: "unit",
  privateSubnetIds: ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
  securityGroupId: "sg-0123456789abcdef0",
  kmsKeyArn: "arn:aws:kms:eu-central-1:111122223333:key/data",
  logsKeyArn: "arn:aws:kms:eu-central-1:111122223333:key/logs",
  logRetentionDays: 14,
  tags: { team: "unit" },
  dataTags: { team: "unit", "data-classification": "restricted" },
  stateful: { protect: true, retainOnDelete: true },
};

let records: DeploymentResource[];
beforeAll(async () => {
  records = await recordComponent(() => new Database("billing-db", args));
});
const one = (type: string) => {
  const found = records.filter((r) => r.type === type);
  expect(found).toHaveLength(1);
  return found[0]!;
};

describe("Database", () => {
  it("takes its physical names from its inputs, not from a stack name", () => {
    const db = one("aws:rds/instance:Instance");
    expect(db.inputs).toMatchObject({ identifier: "acme-unit-billing", finalSnapshotIdentifier: "acme-unit-billing-final", dbName: "billing", multiAz: true, deletionProtection: true, backupRetentionPeriod: 14 });
    expect(one("aws:cloudwatch/logGroup:LogGroup").inputs).toMatchObject({ name: "/aws/rds/instance/acme-unit-billing/postgresql", retentionInDays: 14 });
  });

  it("protects and retains the instance as told, and exports logs only after its log group exists", () => {
    const db = one("aws:rds/instance:Instance");
    expect(db).toMatchObject({ protect: true, retainOnDelete: true });
    expect(db.dependencies).toContain(one("aws:cloudwatch/logGroup:LogGroup").urn);
    expect(db.urn).toContain("backend-release:database:Database$aws:rds/instance:Instance::billing-db-instance");
  });

  it("forces TLS and a parameter family matching the engine's major version", () => {
    const params = one("aws:rds/parameterGroup:ParameterGroup");
    expect(params.inputs?.family).toBe("postgres16");
    expect(params.inputs?.parameters).toContainEqual(expect.objectContaining({ name: "rds.force_ssl", value: "1" }));
  });
});
