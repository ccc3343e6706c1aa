/**
 * SEC-OPS ECS rules. Container definitions are the task definition's JSON string input
 * `containerDefinitions`; each container is checked and named in the message.
 */
import type { ReportViolation, ResourceValidationPolicy } from "@pulumi/policy";
import { asArray, asRecord, asString, isRecord, parseJsonish, type Props } from "../../lib/props";
import { configOf, forTypes } from "../../lib/rule";
import { T } from "../../lib/types";
// One definition with the config schema's check (the pack runs from this repository).
import { looksLikeSecretValue, SECRET_LIKE_NAME } from "../../../../config/secret-patterns";

function containers(props: Props): Props[] {
  return asArray(parseJsonish(props.containerDefinitions)).filter(isRecord);
}

/** A rule over each container of a task definition; `check` returns a message or undefined. */
function perContainer(check: (c: Props, name: string) => string | undefined) {
  return forTypes(T.taskDefinition, (props, _args, report: ReportViolation) => {
    for (const c of containers(props)) {
      const message = check(c, asString(c.name) ?? "(unnamed)");
      if (message) report(message);
    }
  });
}


interface EnvConfig {
  allowedNames: string[];
}

export const ecsNoSecretEnvironment: ResourceValidationPolicy = {
  name: "SEC-ECS-01-no-secret-environment",
  description: "Task definitions carry no secret-like names or values in plain `environment`.",
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps: "Store the value in Secrets Manager and reference it through the container's `secrets[].valueFrom`.",
  configSchema: {
    properties: {
      allowedNames: { type: "array", items: { type: "string" }, default: [], description: "Variable names that look secret but are not (e.g. TOKEN_TTL_SECONDS)." },
    },
  },
  validateResource: (args, report) => {
    const { allowedNames } = configOf<EnvConfig>(args, { allowedNames: [] });
    perContainer((c, name) => {
      const bad = asArray(c.environment)
        .map(asRecord)
        .filter((e) => !allowedNames.includes(String(e.name)))
        .filter((e) => SECRET_LIKE_NAME.test(String(e.name)) || looksLikeSecretValue(String(e.value)))
        .map((e) => String(e.name));
      return bad.length > 0 ? `Container '${name}' has secret-like environment variables ${bad.join(", ")}: move them to secrets[].valueFrom with a Secrets Manager ARN.` : undefined;
    })(args, report);
  },
};

const SECRET_SOURCE = /^arn:aws[a-z-]*:(secretsmanager:[^:]*:\d{12}:secret:|ssm:[^:]*:\d{12}:parameter\/)/;

export const ecsSecretsValueFrom: ResourceValidationPolicy = {
  name: "SEC-ECS-02-secrets-value-from",
  description: "Container secrets come from Secrets Manager or SSM Parameter Store ARNs.",
  severity: "high",
  enforcementLevel: "mandatory",
  validateResource: perContainer((c, name) => {
    const bad = asArray(c.secrets)
      .map(asRecord)
      .filter((s) => !SECRET_SOURCE.test(String(s.valueFrom)))
      .map((s) => String(s.name));
    return bad.length > 0 ? `Container '${name}' secrets ${bad.join(", ")} do not point at Secrets Manager or SSM: set valueFrom to an arn:aws:secretsmanager:… or arn:aws:ssm:…:parameter/… ARN.` : undefined;
  }),
};

export const ecsNotPrivileged: ResourceValidationPolicy = {
  name: "SEC-ECS-03-not-privileged",
  description: "Containers do not run privileged.",
  severity: "critical",
  enforcementLevel: "mandatory",
  validateResource: perContainer((c, name) => (c.privileged === true ? `Container '${name}' is privileged: remove privileged or set it to false.` : undefined)),
};

export const ecsReadOnlyRootFs: ResourceValidationPolicy = {
  name: "SEC-ECS-04-read-only-root-fs",
  description: "Containers mount their root filesystem read-only.",
  severity: "medium",
  enforcementLevel: "mandatory",
  validateResource: perContainer((c, name) =>
    c.readonlyRootFilesystem === true ? undefined : `Container '${name}' has a writable root filesystem: set readonlyRootFilesystem to true (mount a volume for scratch space).`,
  ),
};

export const ecsNonRootUser: ResourceValidationPolicy = {
  name: "SEC-ECS-05-non-root-user",
  description: "Containers run as a non-root user.",
  severity: "high",
  enforcementLevel: "mandatory",
  validateResource: perContainer((c, name) => {
    const user = asString(c.user)?.trim();
    const root = !user || /^(root|0)(:.*)?$/.test(user);
    return root ? `Container '${name}' runs as root: set user to a non-root UID:GID such as '1000:1000'.` : undefined;
  }),
};

export const ecsLogConfiguration: ResourceValidationPolicy = {
  name: "SEC-ECS-06-log-configuration",
  description: "Containers ship their logs through a log driver.",
  severity: "medium",
  enforcementLevel: "mandatory",
  validateResource: perContainer((c, name) =>
    asString(asRecord(c.logConfiguration).logDriver) ? undefined : `Container '${name}' has no log configuration: set logConfiguration with logDriver 'awslogs' and the service's log group.`,
  ),
};

export const ecsNoPublicIp: ResourceValidationPolicy = {
  name: "SEC-ECS-07-no-public-ip",
  description: "ECS services do not assign public IPs to tasks.",
  severity: "high",
  enforcementLevel: "mandatory",
  validateResource: forTypes(T.ecsService, (props, _args, report) => {
    if (asRecord(props.networkConfiguration).assignPublicIp === true) report("Service assigns public IPs to its tasks: set networkConfiguration.assignPublicIp to false and reach the internet through NAT.");
  }),
};

export const ecsAwsvpc: ResourceValidationPolicy = {
  name: "SEC-ECS-08-awsvpc-network-mode",
  description: "Task definitions use the awsvpc network mode, so security groups apply per task.",
  severity: "medium",
  enforcementLevel: "mandatory",
  validateResource: forTypes(T.taskDefinition, (props, _args, report) => {
    if (props.networkMode !== "awsvpc") report("Task definition does not use awsvpc networking: set networkMode to 'awsvpc'.");
  }),
};

interface DigestConfig {
  allowedRegistries: string[];
}

export const ecsImageDigest: ResourceValidationPolicy = {
  name: "SEC-ECS-09-image-digest",
  description: "Container images are pinned by digest (build once, promote the digest).",
  severity: "high",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowedRegistries: { type: "array", items: { type: "string" }, default: [], description: "Registry hosts images may come from (empty: any)." },
    },
  },
  validateResource: (args, report) => {
    const { allowedRegistries } = configOf<DigestConfig>(args, { allowedRegistries: [] });
    perContainer((c, name) => {
      const image = asString(c.image) ?? "";
      if (!/@sha256:[0-9a-f]{64}$/.test(image)) return `Container '${name}' image '${image}' is not pinned by digest: reference it as <repository>@sha256:<digest>.`;
      const host = image.split("/")[0] ?? "";
      if (allowedRegistries.length > 0 && !allowedRegistries.includes(host)) return `Container '${name}' image comes from '${host}': use one of ${allowedRegistries.join(", ")}.`;
      return undefined;
    })(args, report);
  },
};

export const ecsPolicies = [ecsNoSecretEnvironment, ecsSecretsValueFrom, ecsNotPrivileged, ecsReadOnlyRootFs, ecsNonRootUser, ecsLogConfiguration, ecsNoPublicIp, ecsAwsvpc, ecsImageDigest];
