/**
 * SEC-OPS RDS rules (instances and clusters): connections use TLS (the parameter group forces
 * it), RDS manages the master password, IAM authentication and log exports are on, the admin
 * user is not the engine's default, the engine version is still supported and takes minor
 * (security) upgrades, and the database lives in the stack's subnets.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { controls } from "../../lib/controls";
import { asArray, asRecord, asString, known, type Props } from "../../lib/props";
import { configOf, forTypes } from "../../lib/rule";
import { T, isOneOf } from "../../lib/types";

const DATABASES = [...T.rdsInstance, ...T.rdsCluster];
const engineOf = (props: Props): string => (asString(props.engine) ?? "").toLowerCase();
const isPostgres = (engine: string): boolean => engine === "postgres" || engine === "aurora-postgresql";
const isMysqlFamily = (engine: string): boolean => ["mysql", "mariadb", "aurora-mysql", "aurora"].includes(engine);

/** The parameter that makes an engine refuse connections without TLS, and the values that turn it on. */
function tlsParameter(engine: string): { name: string; on: string[] } | undefined {
  if (isPostgres(engine) || engine.startsWith("sqlserver")) return { name: "rds.force_ssl", on: ["1", "true", "on"] };
  if (isMysqlFamily(engine)) return { name: "require_secure_transport", on: ["1", "on", "true"] };
  return undefined; // Oracle enforces TLS through an option group, not a parameter
}

function groupFor(db: PolicyResource, key: string, groups: PolicyResource[]): PolicyResource | undefined {
  const viaDependency = (db.propertyDependencies?.[key] ?? []).find((d) => groups.includes(d));
  if (viaDependency) return viaDependency;
  const name = known(() => asString(db.props[key]));
  return groups.find((g) => [g.props.name, g.props.id].some((v) => known(() => asString(v)) === name));
}

export const rdsForceTls: StackValidationPolicy = {
  name: "SEC-RDS-02-force-tls",
  description: "Databases refuse connections without TLS: their custom parameter group sets rds.force_ssl=1 (PostgreSQL, SQL Server) or require_secure_transport=ON (MySQL, MariaDB).",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["RDS.41", "RDS.44"], docType: "aws:rds/parameterGroup:ParameterGroup" }),
  validateStack: (args, report) => {
    for (const db of args.resources.filter((r) => isOneOf(r.type, DATABASES))) {
      const cluster = isOneOf(db.type, T.rdsCluster);
      const engine = known(() => engineOf(db.props)) ?? "";
      const param = tlsParameter(engine);
      if (!param) continue;
      const key = cluster ? "dbClusterParameterGroupName" : "parameterGroupName";
      const kind = cluster ? "aws.rds.ClusterParameterGroup" : "aws.rds.ParameterGroup";
      const groupName = known(() => asString(db.props[key]));
      const group = groupFor(db, key, args.resources.filter((r) => isOneOf(r.type, cluster ? T.rdsClusterParameterGroup : T.rdsParameterGroup)));
      const declare = `declare an ${kind} with ${param.name}=${param.on[0]} and set ${key} to it`;
      if (!groupName || groupName.startsWith("default.")) {
        report(`Database '${db.name}' uses the default parameter group, which cannot be changed to force TLS: ${declare}.`, db.urn);
        continue;
      }
      if (!group) continue; // a group managed elsewhere: judged where it is declared
      const value = asArray(group.props.parameters)
        .map(asRecord)
        .find((p) => String(p.name).toLowerCase() === param.name);
      if (!value || !param.on.includes(String(value.value).toLowerCase())) {
        report(`Database '${db.name}' accepts connections without TLS: parameter group '${group.name}' ${value ? `sets ${param.name}=${String(value.value)}` : `does not set ${param.name}`}; set ${param.name} to ${param.on[0]}.`, group.urn);
      }
    }
  },
};

/** A database created from another's data (replica, snapshot, point in time) inherits its credentials. */
const inheritsCredentials = (props: Props): boolean => ["replicateSourceDb", "snapshotIdentifier", "restoreToPointInTime", "replicationSourceIdentifier", "globalClusterIdentifier"].some((k) => props[k] !== undefined && props[k] !== "");

export const rdsManagedMasterPassword: ResourceValidationPolicy = {
  name: "SEC-RDS-03-managed-master-password",
  description: "RDS manages the master password in Secrets Manager (never in config or state) and rotates it.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:rds/instance:Instance" }),
  validateResource: forTypes(DATABASES, (props, args, report) => {
    if (inheritsCredentials(props)) return;
    const password = isOneOf(args.type, T.rdsCluster) ? ["masterPassword", "masterPasswordWo"] : ["password", "passwordWo"];
    const set = password.filter((k) => props[k] !== undefined && props[k] !== null);
    if (props.manageMasterUserPassword !== true || set.length > 0) {
      report(`Database '${args.name}' ${set.length > 0 ? `sets its master password itself (${set.join(", ")})` : "does not let RDS manage its master password"}: remove ${password[0]} and set manageMasterUserPassword to true (RDS keeps it in Secrets Manager and rotates it).`);
    }
  }),
};

export const rdsIamAuth: ResourceValidationPolicy = {
  name: "SEC-RDS-04-iam-authentication",
  description: "PostgreSQL, MySQL and MariaDB databases accept IAM authentication (short-lived tokens instead of shared passwords).",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["RDS.10", "RDS.12"] }),
  validateResource: forTypes(DATABASES, (props, args, report) => {
    const engine = engineOf(props);
    if (!isPostgres(engine) && !isMysqlFamily(engine)) return;
    if (props.iamDatabaseAuthenticationEnabled !== true) report(`Database '${args.name}' has IAM authentication off: set iamDatabaseAuthenticationEnabled to true.`);
  }),
};

export const DEFAULT_ADMIN_NAMES = ["admin", "administrator", "root", "postgres", "sa", "master", "mysql", "rdsadmin"];

export const rdsCustomAdminUsername: ResourceValidationPolicy = {
  name: "SEC-RDS-05-custom-admin-username",
  description: "The master user is not the engine's well-known default name.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["RDS.24", "RDS.25"] }),
  validateResource: forTypes(DATABASES, (props, args, report) => {
    const user = asString(isOneOf(args.type, T.rdsCluster) ? props.masterUsername : props.username);
    if (user && DEFAULT_ADMIN_NAMES.includes(user.toLowerCase())) report(`Database '${args.name}' master user is '${user}', a default name every scanner tries: set ${isOneOf(args.type, T.rdsCluster) ? "masterUsername" : "username"} to a name of your own (e.g. '<service>_admin').`);
  }),
};

export const rdsInVpc: ResourceValidationPolicy = {
  name: "SEC-RDS-06-in-stack-subnets",
  description: "Databases are placed in the stack's private subnets through a DB subnet group (not the default VPC).",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["RDS.18"] }),
  validateResource: forTypes(DATABASES, (props, args, report) => {
    if (props.replicateSourceDb !== undefined) return; // a same-region replica takes its source's subnets
    if (!asString(props.dbSubnetGroupName)) report(`Database '${args.name}' has no DB subnet group (it would land in the default VPC): set dbSubnetGroupName to a subnet group of the stack's private subnets.`);
  }),
};

/** End of RDS standard support per engine and major version (AWS RDS release calendars). */
export const END_OF_STANDARD_SUPPORT: Record<string, Record<string, string>> = {
  postgres: { "9.6": "2022-04-26", "10": "2023-04-17", "11": "2024-02-29", "12": "2025-02-28", "13": "2026-02-28", "14": "2027-02-28", "15": "2028-02-29", "16": "2029-02-28", "17": "2030-02-28" },
  "aurora-postgresql": { "11": "2024-02-29", "12": "2025-02-28", "13": "2026-02-28", "14": "2027-02-28", "15": "2028-02-29", "16": "2029-02-28" },
  mysql: { "5.7": "2024-02-29", "8.0": "2026-07-31" },
  "aurora-mysql": { "5.7": "2024-10-31" },
  mariadb: { "10.3": "2023-10-23", "10.4": "2024-06-18" },
};

/** `16.4` → `16`, `9.6.24` → `9.6`, `8.0.35` → `8.0`, `5.7.mysql_aurora.2.11.2` → `5.7`. */
export function majorVersion(engine: string, version: string): string {
  const parts = version.split(".");
  const twoPart = !isPostgres(engine) || Number(parts[0]) < 10;
  return (twoPart ? parts.slice(0, 2) : parts.slice(0, 1)).join(".");
}

interface SupportConfig {
  endOfStandardSupport: Record<string, Record<string, string>>;
  /** ISO date to judge against; default: today. */
  asOf?: string;
}

export const rdsSupportedEngine: ResourceValidationPolicy = {
  name: "SEC-RDS-07-supported-engine-version",
  description: "Database engine versions are within RDS standard support (security fixes still ship).",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:rds/instance:Instance" }),
  configSchema: {
    properties: {
      endOfStandardSupport: {
        type: "object",
        additionalProperties: { type: "object", additionalProperties: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$" } },
        default: END_OF_STANDARD_SUPPORT,
        description: "End of RDS standard support per engine and major version (YYYY-MM-DD).",
      },
      asOf: { type: "string", pattern: "^\\d{4}-\\d{2}-\\d{2}$", description: "Judge support as of this date instead of today." },
    },
  },
  validateResource: forTypes([...DATABASES, ...T.rdsClusterInstance], (props, args, report) => {
    const { endOfStandardSupport, asOf } = configOf<SupportConfig>(args, { endOfStandardSupport: END_OF_STANDARD_SUPPORT });
    const engine = engineOf(props);
    const version = asString(props.engineVersion);
    if (!version) return; // the engine's current default version
    const major = majorVersion(engine, version);
    const end = endOfStandardSupport[engine]?.[major];
    const today = asOf ?? new Date().toISOString().slice(0, 10);
    if (end && end < today) report(`Database '${args.name}' runs ${engine} ${version}, whose major version ${major} left RDS standard support on ${end}: upgrade engineVersion to a supported major version (and its parameter group family with it).`);
  }),
};

export const rdsAutoMinorUpgrade: ResourceValidationPolicy = {
  name: "SEC-RDS-08-auto-minor-version-upgrade",
  description: "Databases take minor engine versions (security fixes) automatically in their maintenance window.",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["RDS.13", "RDS.35"], cis: ["2.3.2"] }),
  validateResource: forTypes([...DATABASES, ...T.rdsClusterInstance], (props, args, report) => {
    if (props.autoMinorVersionUpgrade === false) report(`Database '${args.name}' does not take minor version upgrades: set autoMinorVersionUpgrade to true.`);
  }),
};

export const REQUIRED_LOG_EXPORTS: Record<string, string[]> = {
  postgres: ["postgresql"],
  "aurora-postgresql": ["postgresql"],
  mysql: ["audit", "error", "general", "slowquery"],
  mariadb: ["audit", "error", "general", "slowquery"],
  "aurora-mysql": ["audit", "error", "general", "slowquery"],
  "sqlserver-ee": ["error", "agent"],
  "sqlserver-se": ["error", "agent"],
  "sqlserver-ex": ["error"],
  "sqlserver-web": ["error", "agent"],
  "oracle-ee": ["alert", "audit", "trace", "listener"],
  "oracle-se2": ["alert", "audit", "trace", "listener"],
};

interface LogsConfig {
  requiredLogs: Record<string, string[]>;
}

export const rdsLogExports: ResourceValidationPolicy = {
  name: "SEC-RDS-09-log-exports",
  description: "Databases publish their engine logs to CloudWatch Logs (PostgreSQL: the postgresql log).",
  severity: "medium",
  enforcementLevel: "mandatory",
  ...controls({ fsbp: ["RDS.9", "RDS.36", "RDS.37"] }),
  configSchema: {
    properties: {
      requiredLogs: {
        type: "object",
        additionalProperties: { type: "array", items: { type: "string" } },
        default: REQUIRED_LOG_EXPORTS,
        description: "Log types each engine must export.",
      },
    },
  },
  validateResource: forTypes(DATABASES, (props, args, report) => {
    const { requiredLogs } = configOf<LogsConfig>(args, { requiredLogs: REQUIRED_LOG_EXPORTS });
    const required = requiredLogs[engineOf(props)] ?? [];
    const exported = asArray(props.enabledCloudwatchLogsExports).map(String);
    const missing = required.filter((l) => !exported.includes(l));
    if (missing.length > 0) report(`Database '${args.name}' does not export its ${missing.join(", ")} log(s) to CloudWatch Logs: add ${missing.map((m) => `'${m}'`).join(", ")} to enabledCloudwatchLogsExports.`);
  }),
};

/** Certificate authorities whose certificates have expired (rds-ca-2019 on 2024-08-22). */
export const EXPIRED_RDS_CAS = ["rds-ca-2015", "rds-ca-2019"];

export const rdsCurrentCertificate: ResourceValidationPolicy = {
  name: "SEC-RDS-10-current-certificate-authority",
  description: "Databases present a server certificate from a current RDS certificate authority, so clients can verify TLS.",
  severity: "high",
  enforcementLevel: "mandatory",
  ...controls({ docType: "aws:rds/instance:Instance" }),
  configSchema: {
    properties: { expiredAuthorities: { type: "array", items: { type: "string" }, default: EXPIRED_RDS_CAS, description: "RDS certificate authorities that may no longer be used." } },
  },
  validateResource: forTypes([...T.rdsInstance, ...T.rdsClusterInstance], (props, args, report) => {
    const { expiredAuthorities } = configOf<{ expiredAuthorities: string[] }>(args, { expiredAuthorities: EXPIRED_RDS_CAS });
    const ca = asString(props.caCertIdentifier);
    if (ca && expiredAuthorities.includes(ca)) report(`Database '${args.name}' uses the expired certificate authority '${ca}': set caCertIdentifier to 'rds-ca-rsa2048-g1' (or remove it for the current default).`);
  }),
};

export const rdsSecurityPolicies = [rdsForceTls, rdsManagedMasterPassword, rdsIamAuth, rdsCustomAdminUsername, rdsInVpc, rdsSupportedEngine, rdsAutoMinorUpgrade, rdsLogExports, rdsCurrentCertificate];
