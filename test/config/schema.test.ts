/** The config schema and loader on good and bad input (issue 2). */
import { describe, expect, it } from "vitest";
import { ConfigError, missingSecrets, parseStackConfig } from "../../config/load";
import { requiredSecrets } from "../../config/secrets";
import { loadStackConfig } from "../../config/stack-file";
import { configProblems, rawNamespace, type RawConfig } from "../support/stack-yaml";

type Raw = RawConfig;
const problemsOf = configProblems;

describe("committed stacks", () => {
  it.each(["staging", "prod"])("%s is valid", (stack) => {
    expect(loadStackConfig(stack).environment).toBe(stack);
  });
});

describe("bad config names the key path, what was expected and what was found", () => {
  it("wrong type", () => {
    expect(problemsOf("staging", (r) => (r.services[0]!.cpu = "lots"))).toEqual([
      "backend-release:services[0].cpu: expected one of 256, 512, 1024, 2048, 4096, found \"lots\"",
    ]);
  });

  it("missing key", () => {
    expect(problemsOf("staging", (r) => delete r.database)).toEqual(["backend-release:database: expected object, found nothing (the key is missing)"]);
  });

  it("unknown key", () => {
    expect(problemsOf("staging", (r) => ((r.database as Record<string, unknown>).backupRetentionDayz = 7))).toEqual([
      'backend-release:database: unknown key "backupRetentionDayz" (check the spelling; docs/configuration.md lists every key)',
    ]);
  });

  it("a warning threshold on the wrong side of its critical one", () => {
    expect(problemsOf("staging", (r) => (r.services[0]!.monitoring.monitors.errorRate!.warning = 9))).toEqual([
      "backend-release:services[0].monitoring.monitors.errorRate.warning: errorRate alerts when the value goes above the threshold, so warning must be below critical (5), found 9",
    ]);
  });

  it("a 'below' monitor's warning must sit above its critical", () => {
    const problems = problemsOf("prod", (r) => (r.services[0]!.monitoring.monitors.dbFreeStorage!.warning = 10));
    expect(problems).toContain("backend-release:services[0].monitoring.monitors.dbFreeStorage.warning: dbFreeStorage alerts when the value goes below the threshold, so warning must be above critical (20), found 10");
  });

  it("min <= desired <= max", () => {
    expect(problemsOf("staging", (r) => (r.services[0]!.desiredCount = 9))).toEqual([
      "backend-release:services[0].desiredCount: expected minCount <= desiredCount <= maxCount, found 1 <= 9 <= 3",
    ]);
  });

  it("a production-tier profile is stricter, whatever the stack is called", () => {
    const problems = problemsOf("prod", (r) => {
      (r.database as Record<string, unknown>).backupRetentionDays = 7;
      (r.database as Record<string, unknown>).multiAz = false;
      r.protectStateful = false;
      r.images = { source: "build" };
      r.environment = "eu-live";
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        "backend-release:protectStateful: a production-tier stack must protect its stateful resources: expected true, found false",
        'backend-release:images.source: a production-tier stack deploys a digest a non-production stack validated: expected "promote", found "build"',
        "backend-release:database.backupRetentionDays: a production-tier stack keeps backups at least 30 days, found 7",
        "backend-release:database.multiAz: a production-tier stack runs Multi-AZ: expected true, found false",
      ]),
    );
    // The same weak settings in a non-production profile are allowed (its own minimums apply).
    expect(problemsOf("prod", (r) => {
      (r.database as Record<string, unknown>).backupRetentionDays = 7;
      (r.database as Record<string, unknown>).multiAz = false;
      (r.database as Record<string, unknown>).deletionProtection = false;
      r.profile = "non-production";
      r.protectStateful = false;
      r.images = { source: "build" };
      r.environment = "prod";
      for (const s of r.services) (s.monitoring.monitors as Record<string, unknown>).dbReplicaLag = undefined;
    }).filter((p) => !p.includes("dbReplicaLag"))).toEqual([]);
  });

  it("any environment name is accepted; the profile must be one of the tiers", () => {
    expect(problemsOf("staging", (r) => (r.environment = "perf"))).toEqual([]);
    expect(problemsOf("staging", (r) => (r.environment = "qa"))).toEqual([]);
    expect(problemsOf("staging", (r) => (r.profile = "prod"))).toEqual(['backend-release:profile: expected one of "production", "non-production", found "prod"']);
  });

  it("database monitors and the migration runner must refer to services that use the database", () => {
    expect(
      problemsOf("staging", (r) => {
        (r.services[0] as Record<string, unknown>).usesDatabase = false;
      }),
    ).toEqual(
      expect.arrayContaining([
        "backend-release:services[0].monitoring.monitors.dbCpu: orders-api does not use the database (usesDatabase: false); remove this database monitor",
        "backend-release:services: no service uses the database (every service has usesDatabase: false); set usesDatabase: true on the service whose image migrates it",
      ]),
    );
    expect(problemsOf("staging", (r) => ((r.database as Record<string, unknown>).migrations = { runWith: "billing-api" }))).toEqual([
      'backend-release:database.migrations.runWith: no service named "billing-api"; expected one of "orders-api"',
    ]);
  });

  it("a second service on the shared database may repeat its monitors only with the same settings", () => {
    const withSecond = (r: Raw, change: (m: Record<string, Record<string, unknown>>) => void) => {
      const second = structuredClone(r.services[0]!);
      second.name = "billing-api";
      second.secrets = [];
      change(second.monitoring.monitors);
      r.services.push(second);
    };
    // Identical: one monitor (the owner's), no problem.
    expect(problemsOf("staging", (r) => withSecond(r, () => undefined))).toEqual([]);
    expect(
      problemsOf("staging", (r) =>
        withSecond(r, (m) => {
          m.dbCpu = { ...m.dbCpu, critical: 97 };
          m.migrationFailed = { ...m.migrationFailed, windowMinutes: 30 };
        }),
      ),
    ).toEqual([
      "backend-release:services[1].monitoring.monitors.dbCpu: the stack has one dbCpu monitor (the database is shared), declared by orders-api with other settings; make them equal to orders-api's or remove dbCpu from billing-api",
      "backend-release:services[1].monitoring.monitors.migrationFailed: the stack has one migrationFailed monitor (the database is shared), declared by orders-api with other settings; make them equal to orders-api's or remove migrationFailed from billing-api",
    ]);
    // Service-scoped kinds are each service's own.
    expect(problemsOf("staging", (r) => withSecond(r, (m) => (m.cpu = { ...m.cpu, critical: 95 })))).toEqual([]);
  });

  it("rejects a secret-like plain environment variable and says where it belongs", () => {
    expect(problemsOf("staging", (r) => ((r.services[0]!.environment as Record<string, string>).DB_PASSWORD = "hunter2"))).toEqual([
      'backend-release:services[0].environment.DB_PASSWORD: "DB_PASSWORD" looks like a secret; list it under services[0].secrets and set its value with pulumi config set --secret',
    ]);
  });

  it("rejects signing keys and credential-shaped values too (the same patterns as SEC-ECS-01)", () => {
    expect(
      problemsOf("staging", (r) => {
        const env = r.services[0]!.environment as Record<string, string>;
        env.JWT_SIGNING_KEY = "x";
        env.UPSTREAM_URL = "https://svc:hunter2@upstream.example.com";
      }),
    ).toEqual([
      'backend-release:services[0].environment.JWT_SIGNING_KEY: "JWT_SIGNING_KEY" looks like a secret; list it under services[0].secrets and set its value with pulumi config set --secret',
      'backend-release:services[0].environment.UPSTREAM_URL: the value of "UPSTREAM_URL" looks like a credential; move it to services[0].secrets',
    ]);
  });

  it("lists every problem at once", () => {
    const problems = problemsOf("staging", (r) => {
      r.services[0]!.port = 80;
      (r.network as Record<string, unknown>).vpcId = "vpc-XYZ";
      delete r.oncall;
    });
    expect(problems).toHaveLength(3);
  });
});

describe("secrets", () => {
  const cfg = loadStackConfig("staging");

  it("names the exact pulumi command for each missing secret", () => {
    const problems = missingSecrets(cfg, "staging", { "datadog:apiKey": "x", "datadog:appKey": "y" }, () => true);
    expect(problems).toEqual([
      "pagerduty:token: missing secret (PagerDuty REST API token); set it with: pulumi config set --secret --stack staging pagerduty:token <value>",
      "backend-release:runtimeSecrets.orders-api.ORDERS_SIGNING_KEY: missing secret (runtime secret ORDERS_SIGNING_KEY of service orders-api); set it with: pulumi config set --secret --stack staging --path 'runtimeSecrets.orders-api.ORDERS_SIGNING_KEY' <value>",
    ]);
  });

  it("refuses a secret stored in plain text", () => {
    const all = { "datadog:apiKey": "x", "datadog:appKey": "y", "pagerduty:token": "z", "backend-release:runtimeSecrets": JSON.stringify({ "orders-api": { ORDERS_SIGNING_KEY: "k" } }) };
    expect(missingSecrets(cfg, "staging", all, (k) => k !== "pagerduty:token")).toEqual([
      "pagerduty:token: is set in plain text; set it again with: pulumi config set --secret --stack staging pagerduty:token <value>",
    ]);
  });

  it("requires provider credentials and every declared runtime secret", () => {
    expect(requiredSecrets(cfg, "staging").map((s) => (s.path ? s.path.join(".") : s.key))).toEqual(["datadog:apiKey", "datadog:appKey", "pagerduty:token", "orders-api.ORDERS_SIGNING_KEY"]);
  });
});

describe("stack names", () => {
  it("refuses a stack name AWS would refuse inside a bucket or database name, saying how to fix it", () => {
    const raw = rawNamespace("staging");
    expect(() => parseStackConfig(raw, "Perf_EU")).toThrow(
      'stack name "Perf_EU": expected 2-16 lowercase letters, digits and dashes, starting with a letter (it is part of bucket, cluster and database names); rename the stack file Pulumi.<name>.yaml',
    );
    expect(() => parseStackConfig(raw, "a-very-long-stack-name")).toThrow(ConfigError);
    expect(parseStackConfig(raw, "qa").environment).toBe("staging");
  });
});
