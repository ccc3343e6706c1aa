/**
 * SEC-OPS ECS rules. Container definitions are the task definition's JSON string input
 * `containerDefinitions`; each container is checked and named in the message.
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { accountOf } from "../../lib/policy-document";
import { controls } from "../../lib/controls";
import { asArray, asRecord, asString, isRecord, known, parseJsonish, type Props } from "../../lib/props";
import { configOf, forTypes } from "../../lib/rule";
import { T } from "../../lib/types";
// One definition with the config schema's check (the pack runs from this repository).
import { BREAK_GLASS_MAX_HOURS, BREAK_GLASS_TAG, breakGlassWindowProblem } from "../../../../config/break-glass";
import { looksLikeSecretValue, SECRET_LIKE_NAME } from "../../../../config/secret-patterns";

function containers(props: Props): Props[] {
  return asArray(parseJsonish(props.containerDefinitions)).filter(isRecord);
}

/** A rule over each container of a task definition; `check` returns a message or undefined. */
function perContainer(check: (c: Props, name: string, args: ResourceValidationArgs) => string | undefined) {
  return forTypes(T.taskDefinition, (props, args, report: ReportViolation) => {
    for (const c of containers(props)) {
      const message = check(c, asString(c.name) ?? "(unnamed)", args);
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
  ...controls({ fsbp: ["ECS.8"] }),
  remediationSteps: "Store the value in Secrets Manager and reference it through the container's `secrets[].valueFrom`.",
  configSchema: {
    properties: {
      allowedNames: { type: "array", items: { type: "string" }, default: [], description: "Variable names that look secret but are not (e.g. TOKEN_TTL_SECONDS)." },
    },
  },
  validateResource: (args, report) => {
    const { allowedNames } = configOf<EnvConfig>(args, { allowedNames: [] });
    perContainer((c, name, a) => {
      const bad = asArray(c.environment)
        .map(asRecord)
        .filter((e) => !allowedNames.includes(String(e.name)))
        .filter((e) => SECRET_LIKE_NAME.test(String(e.name)) || looksLikeSecretValue(String(e.value)))
        .map((e) => String(e.name));
      return bad.length > 0 ? `Container '${name}' of task definition '${a.name}' has secret-like environment variables ${bad.join(", ")}: move them to secrets[].valueFrom with a Secrets Manager ARN.` : undefined;
    })(args, report);
  },
};

const SECRET_SOURCE = /^arn:aws[a-z-]*:(secretsmanager:[^:]*:\d{12}:secret:|ssm:[^:]*:\d{12}:parameter\/)/;

export const ecsSecretsValueFrom: ResourceValidationPolicy = {
  name: "SEC-ECS-02-secrets-value-from",
  description: "Container secrets come from Secrets Manager or SSM Parameter Store ARNs.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ECS.8"] }),
  validateResource: perContainer((c, name, args) => {
    const bad = asArray(c.secrets)
      .map(asRecord)
      .filter((s) => !SECRET_SOURCE.test(String(s.valueFrom)))
      .map((s) => String(s.name));
    return bad.length > 0 ? `Container '${name}' of task definition '${args.name}' secrets ${bad.join(", ")} do not point at Secrets Manager or SSM: set valueFrom to an arn:aws:secretsmanager:… or arn:aws:ssm:…:parameter/… ARN.` : undefined;
  }),
};

export const ecsNotPrivileged: ResourceValidationPolicy = {
  name: "SEC-ECS-03-not-privileged",
  description: "Containers do not run privileged.",
  severity: "critical",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ECS.4"] }),
  validateResource: perContainer((c, name, args) => (c.privileged === true ? `Container '${name}' of task definition '${args.name}' is privileged: remove privileged or set it to false.` : undefined)),
};

export const ecsReadOnlyRootFs: ResourceValidationPolicy = {
  name: "SEC-ECS-04-read-only-root-fs",
  description: "Containers mount their root filesystem read-only.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ECS.5"] }),
  validateResource: perContainer((c, name, args) =>
    c.readonlyRootFilesystem === true ? undefined : `Container '${name}' of task definition '${args.name}' has a writable root filesystem: set readonlyRootFilesystem to true (mount a volume for scratch space).`,
  ),
};

export const ecsNonRootUser: ResourceValidationPolicy = {
  name: "SEC-ECS-05-non-root-user",
  description: "Containers run as a non-root user.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ECS.20", "ECS.1"] }),
  validateResource: perContainer((c, name, args) => {
    const user = asString(c.user)?.trim();
    const root = !user || /^(root|0)(:.*)?$/.test(user);
    return root ? `Container '${name}' of task definition '${args.name}' runs as root: set user to a non-root UID:GID such as '1000:1000'.` : undefined;
  }),
};

export const ecsLogConfiguration: ResourceValidationPolicy = {
  name: "SEC-ECS-06-log-configuration",
  description: "Containers ship their logs through a log driver.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ECS.9"] }),
  validateResource: perContainer((c, name, args) =>
    asString(asRecord(c.logConfiguration).logDriver) ? undefined : `Container '${name}' of task definition '${args.name}' has no log configuration: set logConfiguration with logDriver 'awslogs' and the service's log group.`,
  ),
};

export const ecsNoPublicIp: ResourceValidationPolicy = {
  name: "SEC-ECS-07-no-public-ip",
  description: "ECS services and task sets do not assign public IPs to tasks.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ECS.2", "ECS.16"] }),
  validateResource: forTypes([...T.ecsService, ...T.ecsTaskSet], (props, args, report) => {
    if (asRecord(props.networkConfiguration).assignPublicIp === true) report(`'${args.name}' assigns public IPs to its tasks: set networkConfiguration.assignPublicIp to false and reach the internet through NAT.`);
  }),
};

export const ecsAwsvpc: ResourceValidationPolicy = {
  name: "SEC-ECS-08-awsvpc-network-mode",
  description: "Task definitions use the awsvpc network mode, so security groups apply per task (never the host's network).",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ECS.17", "ECS.1"] }),
  validateResource: forTypes(T.taskDefinition, (props, args, report) => {
    if (props.networkMode !== "awsvpc") report(`Task definition '${args.name}' uses network mode '${asString(props.networkMode) ?? "bridge"}': set networkMode to 'awsvpc'.`);
  }),
};

interface RegistryConfig {
  allowedRegistries: string[];
  allowListRequired: boolean;
}

/** The account a task definition runs in, from its role ARNs (what `{account}` in an allowed registry stands for). */
function taskAccount(props: Props): string | undefined {
  for (const key of ["executionRoleArn", "taskRoleArn"]) {
    const arn = known(() => asString(props[key]));
    const account = arn ? accountOf(arn) : undefined;
    if (account) return account;
  }
  return undefined;
}

function registryAllowed(host: string, allowed: string[], account: string | undefined): boolean {
  return allowed.some((entry) => {
    if (!entry.includes("{account}")) return entry.toLowerCase() === host;
    const [before = "", after = ""] = entry.toLowerCase().split("{account}");
    if (!host.startsWith(before) || !host.endsWith(after)) return false;
    const value = host.slice(before.length, host.length - after.length);
    // Roles unknown during a first preview: any account id fits until they are known.
    return account ? value === account : /^\d{12}$/.test(value);
  });
}

export const ecsImageDigest: ResourceValidationPolicy = {
  name: "SEC-ECS-09-image-digest",
  description: "Container images are pinned by digest (build once, promote the digest) and come from the registries the stack's policy config allows.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:ecs/taskDefinition:TaskDefinition" }),
  configSchema: {
    properties: {
      allowedRegistries: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "Registry hosts images may come from; `{account}` stands for the task definition's own account (from its role ARNs), e.g. '{account}.dkr.ecr.eu-central-1.amazonaws.com'.",
      },
      allowListRequired: { type: "boolean", default: true, description: "An empty allowedRegistries is itself a finding (production tier: always set it)." },
    },
  },
  validateResource: forTypes(T.taskDefinition, (props, args, report) => {
    const { allowedRegistries, allowListRequired } = configOf<RegistryConfig>(args, { allowedRegistries: [], allowListRequired: true });
    if (allowListRequired && allowedRegistries.length === 0) {
      report(`Task definition '${args.name}' cannot be checked against an allow-list of registries: this stack's policy config leaves SEC-ECS-09 allowedRegistries empty; set it in infra/policy/config/<stack>.json (e.g. ['{account}.dkr.ecr.<region>.amazonaws.com']).`);
    }
    for (const c of containers(props)) {
      const name = asString(c.name) ?? "(unnamed)";
      const image = asString(c.image) ?? "";
      if (!/@sha256:[0-9a-f]{64}$/.test(image)) {
        report(`Container '${name}' of task definition '${args.name}' image '${image}' is not pinned by digest: reference it as <repository>@sha256:<digest>.`);
        continue;
      }
      // A reference without a registry host (`library/nginx@…`) comes from Docker Hub.
      const first = image.split("/")[0] ?? "";
      const host = image.includes("/") && /[.:]|^localhost$/.test(first) ? first.toLowerCase() : "docker.io";
      if (allowedRegistries.length > 0 && !registryAllowed(host, allowedRegistries, taskAccount(props))) {
        report(`Container '${name}' of task definition '${args.name}' image comes from '${host}', which this stack does not allow: use an image from ${allowedRegistries.join(", ")} (promote it there by digest).`);
      }
    }
  }),
};

interface ExecConfig {
  allowed: boolean;
  breakGlassMaxHours: number;
}

/**
 * ECS Exec on a stack that forbids it passes only inside a declared break-glass window: the
 * service's `break-glass-until` tag, a UTC instant in the future and at most breakGlassMaxHours
 * ahead (config/break-glass.ts, which the program checks too). Judged when the policy runs, so a
 * forgotten switch fails the next `pulumi up` and every later evaluation of the live stack.
 */
export const ecsNoExecuteCommand: ResourceValidationPolicy = {
  name: "SEC-ECS-10-no-execute-command",
  description: "Services of stacks whose policy config forbids it (production tier) do not enable ECS Exec (a shell into running tasks), except inside a declared, time-boxed break-glass window.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:ecs/service:Service" }),
  configSchema: {
    properties: {
      allowed: { type: "boolean", default: false, description: "Allow enableExecuteCommand on this stack's services." },
      breakGlassMaxHours: { type: "number", minimum: 1, default: BREAK_GLASS_MAX_HOURS, description: "Longest break-glass window (the service's break-glass-until tag) accepted where ECS Exec is not allowed." },
    },
  },
  validateResource: forTypes(T.ecsService, (props, args, report) => {
    const { allowed, breakGlassMaxHours } = configOf<ExecConfig>(args, { allowed: false, breakGlassMaxHours: BREAK_GLASS_MAX_HOURS });
    if (allowed || props.enableExecuteCommand !== true) return;
    const tag = asRecord(props.tags)[BREAK_GLASS_TAG];
    const problem = tag === undefined ? "set enableExecuteCommand to false (use the runbooks' read-only diagnostics instead of a shell in production)" : breakGlassWindowProblem(tag, breakGlassMaxHours, Date.now());
    if (problem) report(`Service '${args.name}' enables ECS Exec: ${problem}.`);
  }),
};

interface CapabilityConfig {
  allowedCapabilities: string[];
}

export const ecsNoAddedCapabilities: ResourceValidationPolicy = {
  name: "SEC-ECS-11-no-added-capabilities",
  description: "Containers drop every Linux capability (drop: ['ALL']), add none back, and map no host devices.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:ecs/taskDefinition:TaskDefinition" }),
  configSchema: {
    properties: { allowedCapabilities: { type: "array", items: { type: "string" }, default: [], description: "Capabilities that may be added anyway." } },
  },
  validateResource: forTypes(T.taskDefinition, (props, args, report) => {
    const { allowedCapabilities } = configOf<CapabilityConfig>(args, { allowedCapabilities: [] });
    const allowed = allowedCapabilities.map((c) => c.toUpperCase().replace(/^CAP_/, ""));
    for (const c of containers(props)) {
      const name = asString(c.name) ?? "(unnamed)";
      const linux = asRecord(c.linuxParameters);
      const added = asArray(asRecord(linux.capabilities).add).map((x) => String(x).toUpperCase().replace(/^CAP_/, "")).filter((x) => !allowed.includes(x));
      if (added.length > 0) report(`Container '${name}' of task definition '${args.name}' adds Linux capabilities ${added.join(", ")}: remove linuxParameters.capabilities.add (keep drop: ['ALL']).`);
      const dropped = asArray(asRecord(linux.capabilities).drop).map((x) => String(x).toUpperCase());
      if (!dropped.includes("ALL")) report(`Container '${name}' of task definition '${args.name}' keeps the runtime's default Linux capabilities: set linuxParameters.capabilities.drop to ['ALL'].`);
      if (asArray(linux.devices).length > 0) report(`Container '${name}' of task definition '${args.name}' maps host devices: remove linuxParameters.devices.`);
    }
  }),
};

export const ecsNoHostNamespaces: ResourceValidationPolicy = {
  name: "SEC-ECS-12-no-host-namespaces",
  description: "Task definitions share neither the host's process nor its IPC namespace.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ECS.3"] }),
  validateResource: forTypes(T.taskDefinition, (props, args, report) => {
    const shared = (["pidMode", "ipcMode"] as const).filter((k) => props[k] === "host");
    if (shared.length > 0) report(`Task definition '${args.name}' shares the host's ${shared.map((k) => (k === "pidMode" ? "process" : "IPC")).join(" and ")} namespace: remove ${shared.join(" and ")} (or set it to 'task').`);
  }),
};

export const ecsContainerInsights: ResourceValidationPolicy = {
  name: "SEC-ECS-13-container-insights",
  description: "ECS clusters collect Container Insights metrics.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ECS.12"] }),
  validateResource: forTypes(T.ecsCluster, (props, args, report) => {
    const setting = asArray(props.settings).map(asRecord).find((x) => x.name === "containerInsights");
    const value = asString(setting?.value) ?? "disabled";
    if (value !== "enabled" && value !== "enhanced") report(`Cluster '${args.name}' has Container Insights ${setting ? `'${value}'` : "unset"}: add settings [{ name: 'containerInsights', value: 'enhanced' }].`);
  }),
};

const onFargate = (props: Props): boolean =>
  props.launchType === "FARGATE" || asArray(props.capacityProviderStrategies).some((s) => String(asRecord(s).capacityProvider).startsWith("FARGATE"));

export const ecsFargateLatest: ResourceValidationPolicy = {
  name: "SEC-ECS-14-fargate-latest-platform",
  description: "Fargate services and task sets run on the LATEST platform version (kernel and runtime patches).",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ECS.10"] }),
  validateResource: forTypes([...T.ecsService, ...T.ecsTaskSet], (props, args, report) => {
    const version = asString(props.platformVersion) ?? "LATEST";
    if (onFargate(props) && version !== "LATEST") report(`'${args.name}' pins Fargate platform version '${version}': set platformVersion to 'LATEST'.`);
  }),
};

export const ecsEfsTransitEncryption: ResourceValidationPolicy = {
  name: "SEC-ECS-15-efs-transit-encryption",
  description: "EFS volumes of task definitions are mounted with in-transit encryption.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["ECS.18"] }),
  validateResource: forTypes(T.taskDefinition, (props, args, report) => {
    const plain = asArray(props.volumes)
      .map(asRecord)
      .filter((v) => isRecord(v.efsVolumeConfiguration) && asRecord(v.efsVolumeConfiguration).transitEncryption !== "ENABLED")
      .map((v) => String(v.name));
    if (plain.length > 0) report(`Task definition '${args.name}' mounts EFS volume(s) ${plain.join(", ")} without in-transit encryption: set efsVolumeConfiguration.transitEncryption to 'ENABLED'.`);
  }),
};

export const ecsPolicies = [
  ecsNoSecretEnvironment,
  ecsSecretsValueFrom,
  ecsNotPrivileged,
  ecsReadOnlyRootFs,
  ecsNonRootUser,
  ecsLogConfiguration,
  ecsNoPublicIp,
  ecsAwsvpc,
  ecsImageDigest,
  ecsNoExecuteCommand,
  ecsNoAddedCapabilities,
  ecsNoHostNamespaces,
  ecsContainerInsights,
  ecsFargateLatest,
  ecsEfsTransitEncryption,
];
