/**
 * The container definition shared by a service's task and its migration task: same image (by
 * digest), same database wiring, same secrets, same hardening. Only the command differs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig } from "../../config/schema";
import type { ContainerSecret } from "./runtime-secrets";

/** How a task reaches the stack's database. */
export interface DatabaseWiring {
  host: pulumi.Input<string>;
  port: pulumi.Input<number>;
  name: string;
  masterSecretArn: pulumi.Input<string>;
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
  version: string;
  gitSha: string;
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
  return pulumi
    .all([args.imageRef, args.imageDigest, args.logGroupName, args.database?.host ?? "", args.database?.port ?? 0, args.database?.masterSecretArn ?? "", ...args.secrets.map((s) => s.valueFrom)])
    .apply(([image, digest, logGroup, host, port, masterSecretArn, ...secretArns]) => {
      const db = args.database;
      const environment: Record<string, string> = {
        ...args.svc.environment,
        ...args.environment,
        SERVICE_NAME: args.serviceName ?? args.svc.name,
        DD_SERVICE: args.serviceName ?? args.svc.name,
        DD_ENV: args.environmentName,
        APP_VERSION: args.version,
        GIT_SHA: args.gitSha,
        IMAGE_DIGEST: String(digest),
        ...(db ? { PGHOST: String(host), PGPORT: String(port), PGDATABASE: db.name, PGSSLMODE: "require" } : {}),
      };
      if (args.withPort) {
        environment.PORT = String(args.svc.port);
        // Drain within ECS's stop timeout (SIGKILL follows it), keeping a margin for pool close and exit.
        environment.SHUTDOWN_TIMEOUT_MS = String(Math.max(1000, args.svc.stopTimeoutSeconds * 1000 - 5000));
      }
      const secrets = [
        // RDS keeps the master credentials as JSON; ECS extracts single keys with `:key::`.
        ...(db
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
