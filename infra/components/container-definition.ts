/**
 * The container definition shared by a service's task and its migration task: same image (by
 * digest), same hardening. The database login differs: the migration task is the only one given
 * the RDS master secret; a service logs in as its own role with IAM database authentication.
 *
 * Nothing here changes with the commit being deployed (no git sha, no release version): a commit
 * that changes no deployed input produces the same task definition, so nothing rolls or re-runs.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig } from "../../config/schema";
import type { ContainerSecret } from "./runtime-secrets";

/** How a task logs in: the RDS-managed master secret (migrations) or IAM auth as its own role (services). */
export type DatabaseLogin = { kind: "master"; secretArn: pulumi.Input<string> } | { kind: "iam"; username: string; dbUserArn: pulumi.Input<string> };

/** How a task reaches the stack's database. */
export interface DatabaseWiring {
  host: pulumi.Input<string>;
  port: pulumi.Input<number>;
  name: string;
  login: DatabaseLogin;
}

/** Env var carrying a digest of the runtime secrets' version ids (named so no secret scanner mistakes it for one): a new secret value is a new task definition. */
export const SECRETS_VERSION_ENV = "RUNTIME_CONFIG_REVISION";

/** One digest of the secrets' names and version ids (never their values). */
export function secretsVersion(entries: { name: string; versionId: string }[]): string {
  const h = createHash("sha256");
  for (const e of [...entries].sort((a, b) => a.name.localeCompare(b.name))) h.update(`${e.name}=${e.versionId}\n`);
  return h.digest("hex").slice(0, 32);
}

/** The runner inside the image (see backend/Dockerfile); `up` applies pending migrations. */
export const MIGRATION_COMMAND = ["node", "dist/migrate/cli.js", "up"];
/** The unprivileged user the image defines; ECS enforces it even if the image changes. */
export const CONTAINER_USER = "1000:1000";

export interface ContainerDefinitionArgs {
  svc: ServiceConfig;
  /** SERVICE_NAME/DD_SERVICE: what the logs are attributed to (default: the service's name). */
  serviceName?: string;
  /** DD_ENV: the environment the logs and traces are tagged with. */
  environmentName: string;
  containerName: string;
  imageRef: pulumi.Input<string>;
  imageDigest: pulumi.Input<string>;
  region: string;
  logGroupName: pulumi.Input<string>;
  logStreamPrefix: string;
  /** Absent for a service that uses no database: no PG* wiring, no database credentials. */
  database?: DatabaseWiring;
  secrets: ContainerSecret[];
  /** Extra plain environment (never secret: the schema rejects secret-like names). */
  environment?: Record<string, string>;
  command?: string[];
  withPort: boolean;
}

export function containerDefinitions(args: ContainerDefinitionArgs): pulumi.Output<string> {
  const login = args.database?.login;
  return pulumi
    .all([
      args.imageRef,
      args.imageDigest,
      args.logGroupName,
      args.database?.host ?? "",
      args.database?.port ?? 0,
      login?.kind === "master" ? login.secretArn : "",
      pulumi.all(args.secrets.map((s) => s.valueFrom)),
      pulumi.all(args.secrets.map((s) => s.versionId)),
    ])
    .apply(([image, digest, logGroup, host, port, masterSecretArn, secretArns, versionIds]) => {
      const db = args.database;
      const environment: Record<string, string> = {
        ...args.svc.environment,
        ...args.environment,
        SERVICE_NAME: args.serviceName ?? args.svc.name,
        DD_SERVICE: args.serviceName ?? args.svc.name,
        DD_ENV: args.environmentName,
        // The image's identity: constant for a digest, unlike the commit that deploys it.
        IMAGE_DIGEST: String(digest),
        ...(db ? { PGHOST: String(host), PGPORT: String(port), PGDATABASE: db.name, PGSSLMODE: "require" } : {}),
        // IAM auth: the service signs a short-lived token per connection (AWS_REGION for the signer).
        ...(login?.kind === "iam" ? { PGUSER: login.username, PGAUTH: "iam", AWS_REGION: args.region } : {}),
        ...(args.secrets.length > 0 ? { [SECRETS_VERSION_ENV]: secretsVersion(args.secrets.map((s, i) => ({ name: s.name, versionId: String(versionIds[i]) }))) } : {}),
      };
      if (args.withPort) {
        environment.PORT = String(args.svc.port);
        // Drain within ECS's stop timeout (SIGKILL follows it), keeping a margin for pool close and exit.
        environment.SHUTDOWN_TIMEOUT_MS = String(Math.max(1000, args.svc.stopTimeoutSeconds * 1000 - 5000));
      }
      const secrets = [
        // RDS keeps the master credentials as JSON; ECS extracts single keys with `:key::`.
        ...(login?.kind === "master"
          ? [
              { name: "PGUSER", valueFrom: `${masterSecretArn}:username::` },
              { name: "PGPASSWORD", valueFrom: `${masterSecretArn}:password::` },
            ]
          : []),
        ...args.secrets.map((s, i) => ({ name: s.name, valueFrom: String(secretArns[i]) })),
      ];
      return JSON.stringify([
        {
          name: args.containerName,
          image: String(image),
          essential: true,
          user: CONTAINER_USER,
          readonlyRootFilesystem: true,
          privileged: false,
          ...(args.command ? { command: args.command } : {}),
          ...(args.withPort ? { portMappings: [{ containerPort: args.svc.port, protocol: "tcp" }] } : {}),
          environment: Object.entries(environment)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, value]) => ({ name, value })),
          secrets,
          // The root filesystem is read-only; /tmp is the one writable, task-scoped place.
          mountPoints: [{ sourceVolume: "tmp", containerPath: "/tmp", readOnly: false }],
          linuxParameters: { initProcessEnabled: true, capabilities: { drop: ["ALL"] } },
          stopTimeout: args.svc.stopTimeoutSeconds,
          logConfiguration: {
            logDriver: "awslogs",
            options: { "awslogs-group": String(logGroup), "awslogs-region": args.region, "awslogs-stream-prefix": args.logStreamPrefix },
          },
        },
      ]);
    });
}
