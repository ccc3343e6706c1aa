/**
 * An evaluation set for the policy packs: realistic one-change misconfigurations of the prod
 * graph the offline preview records, each drawn from an AWS FSBP control, a CIS AWS Foundations
 * recommendation or an organisation rule (the source is named), with the rule expected to block
 * it; and compliant variations (changes a reviewer would accept) that must pass.
 */
import type { Deployment, DeploymentResource } from "../../infra/preview/deployment";

export interface GraphChange {
  /** What changes, as a reviewer would say it. */
  name: string;
  /** Where the control comes from: `FSBP ECR.2`, `CIS 5.2`, `ORG`. */
  source: string;
  apply: (g: ProdGraph) => void;
}

export interface Misconfiguration extends GraphChange {
  /** The rule expected to block it, and the resource it reports on (name or type::name). */
  expect: [policy: string, resource: string];
}

const digest = (c: string): string => `sha256:${c.repeat(64)}`;

/** Lookups and one-change edits on a copy of the prod graph. */
export class ProdGraph {
  readonly resources: DeploymentResource[];

  constructor(readonly deployment: Deployment) {
    this.resources = deployment.deployment.resources;
  }

  /**
   * The custom resource whose URN ends with `::<name>` (and, when given, has that type). A KMS
   * alias shares its key's name in this program: the key is meant.
   */
  get(name: string, type?: string): DeploymentResource {
    let found = this.resources.filter((r) => r.custom && r.urn.endsWith(`::${name}`) && (!type || r.type === type));
    if (found.length > 1) found = found.filter((r) => r.type !== "aws:kms/alias:Alias");
    if (found.length !== 1) throw new Error(`expected one resource named ${name}${type ? ` of ${type}` : ""}, found ${found.length}`);
    return found[0]!;
  }

  /** Sets properties in inputs and outputs alike (a change the provider applied). */
  set(name: string, props: Record<string, unknown>): void {
    const r = this.get(name);
    r.inputs = { ...r.inputs, ...props };
    r.outputs = { ...r.outputs, ...props };
  }

  /** Sets inputs only (a change in a preview, before the provider reported new outputs). */
  setInputs(name: string, props: Record<string, unknown>): void {
    const r = this.get(name);
    r.inputs = { ...r.inputs, ...props };
  }

  /** Deletes properties from inputs and outputs. */
  unset(name: string, ...keys: string[]): void {
    const r = this.get(name);
    for (const k of keys) {
      delete r.inputs?.[k];
      delete r.outputs?.[k];
    }
  }

  remove(name: string): void {
    const r = this.get(name);
    this.resources.splice(this.resources.indexOf(r), 1);
  }

  /** Adds a resource of the prod stack (same parent and provider as `sibling`), with outputs = inputs + id. */
  add(type: string, name: string, inputs: Record<string, unknown>, sibling: string, options: { protect?: boolean } = {}): void {
    const s = this.get(sibling);
    const stack = s.urn.split("::").slice(0, 2).join("::");
    const r: DeploymentResource = { urn: `${stack}::${type}::${name}`, custom: true, id: `${name}-id`, type, inputs, outputs: { id: `${name}-id`, ...inputs } };
    if (s.parent) r.parent = s.parent;
    if (s.provider) r.provider = s.provider;
    if (options.protect) r.protect = true;
    this.resources.push(r);
  }

  /** The JSON document in `prop`, changed by `edit`. */
  editJson(name: string, prop: string, edit: (doc: Record<string, unknown>) => void): void {
    const r = this.get(name);
    const doc = JSON.parse(String(r.inputs?.[prop])) as Record<string, unknown>;
    edit(doc);
    this.set(name, { [prop]: JSON.stringify(doc) });
  }

  /** The first container of a task definition, changed by `edit`. */
  editContainer(name: string, edit: (c: Record<string, unknown>) => void): void {
    const r = this.get(name);
    const defs = JSON.parse(String(r.inputs?.containerDefinitions)) as Array<Record<string, unknown>>;
    edit(defs[0]!);
    this.set(name, { containerDefinitions: JSON.stringify(defs) });
  }

  statements(name: string, prop = "policy"): Array<Record<string, unknown>> {
    return (JSON.parse(String(this.get(name).inputs?.[prop])) as { Statement: Array<Record<string, unknown>> }).Statement;
  }

  /** Appends a statement to the policy document in `prop` (a key policy is created when the key had none). */
  addStatement(name: string, statement: Record<string, unknown>, prop = "policy"): void {
    const current = this.get(name).inputs?.[prop];
    const doc: { Version?: string; Statement: unknown[] } = current ? (JSON.parse(String(current)) as { Statement: unknown[] }) : { Version: "2012-10-17", Statement: [{ Sid: "AccountAdmin", Effect: "Allow", Principal: { AWS: "arn:aws:iam::123456789012:root" }, Action: "kms:*", Resource: "*" }] };
    doc.Statement.push(statement);
    this.set(name, { [prop]: JSON.stringify(doc) });
  }
}

const ACCOUNT = "123456789012";
const FOREIGN = "999988887777";
const ARCHIVE_ARN = "arn:aws:s3:::backend-release-prod-release-archive-eu-central-1";
const TASKS_SG = "network-tasks";

export const MISCONFIGURATIONS: Misconfiguration[] = [
  // S3
  { name: "archive bucket loses its public access block", source: "FSBP S3.8, CIS 2.1.4", apply: (g) => g.remove("release-archive-bucket-public-access"), expect: ["SEC-S3-01-public-access-block", "release-archive-bucket"] },
  { name: "access-log bucket stops blocking public policies", source: "FSBP S3.8", apply: (g) => g.set("access-logs-bucket-public-access", { blockPublicPolicy: false }), expect: ["SEC-S3-01-public-access-block", "access-logs-bucket"] },
  { name: "archive object ownership back to ObjectWriter (ACLs on)", source: "FSBP S3.12", apply: (g) => g.set("release-archive-bucket-ownership", { rule: { objectOwnership: "ObjectWriter" } }), expect: ["SEC-S3-02-acls-disabled", "release-archive-bucket"] },
  { name: "archive bucket with a public-read canned ACL", source: "FSBP S3.2, S3.12", apply: (g) => g.set("release-archive-bucket", { acl: "public-read" }), expect: ["SEC-S3-02-acls-disabled", "release-archive-bucket"] },
  { name: "archive default encryption downgraded to SSE-S3", source: "FSBP S3.17", apply: (g) => g.set("release-archive-bucket-sse", { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }), expect: ["SEC-S3-03-sse-kms-bucket-key", "release-archive-bucket"] },
  { name: "TLS-only deny removed from the archive policy", source: "FSBP S3.5, CIS 2.1.1", apply: (g) => g.editJson("release-archive-bucket-policy", "policy", (d) => (d.Statement = [])), expect: ["SEC-S3-04-tls-only-policy", "release-archive-bucket"] },
  {
    name: "TLS-only deny covers the bucket but not its objects",
    source: "FSBP S3.5",
    apply: (g) => g.editJson("release-archive-bucket-policy", "policy", (d) => ((d.Statement as Array<Record<string, unknown>>)[0]!.Resource = ARCHIVE_ARN)),
    expect: ["SEC-S3-04-tls-only-policy", "release-archive-bucket"],
  },
  {
    name: "archive policy lets anyone read objects",
    source: "FSBP S3.2",
    apply: (g) => g.addStatement("release-archive-bucket-policy", { Sid: "PublicRead", Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: `${ARCHIVE_ARN}/*` }),
    expect: ["SEC-RES-01-no-public-access", "release-archive-bucket-policy"],
  },
  {
    name: "archive policy lets anyone write objects ({AWS: '*'})",
    source: "FSBP S3.3",
    apply: (g) => g.addStatement("release-archive-bucket-policy", { Sid: "Upload", Effect: "Allow", Principal: { AWS: ["*"] }, Action: ["s3:PutObject"], Resource: `${ARCHIVE_ARN}/*` }),
    expect: ["SEC-RES-01-no-public-access", "release-archive-bucket-policy"],
  },
  {
    name: "archive policy grants another account read access",
    source: "FSBP S3.6",
    apply: (g) => g.addStatement("release-archive-bucket-policy", { Sid: "Partner", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${FOREIGN}:root` }, Action: "s3:GetObject", Resource: `${ARCHIVE_ARN}/*` }),
    expect: ["SEC-RES-02-no-untrusted-accounts", "release-archive-bucket-policy"],
  },
  {
    name: "archive policy grants s3:* to a role of the account",
    source: "FSBP S3.6, ORG",
    apply: (g) => g.addStatement("release-archive-bucket-policy", { Sid: "Ops", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/ops` }, Action: "s3:*", Resource: [ARCHIVE_ARN, `${ARCHIVE_ARN}/*`] }),
    expect: ["SEC-RES-03-no-wildcard-grants", "release-archive-bucket-policy"],
  },
  {
    name: "server access log delivery loses its aws:SourceAccount condition",
    source: "ORG (confused deputy)",
    apply: (g) => g.editJson("access-logs-bucket-policy", "policy", (d) => delete (d.Statement as Array<Record<string, unknown>>)[2]!.Condition),
    expect: ["SEC-RES-04-service-grants-scoped", "access-logs-bucket-policy"],
  },
  { name: "access-log bucket versioning suspended", source: "FSBP S3.14", apply: (g) => g.set("access-logs-bucket-versioning", { versioningConfiguration: { status: "Suspended" } }), expect: ["DATA-S3-01-versioning", "access-logs-bucket"] },
  { name: "archive object lock downgraded to GOVERNANCE", source: "FSBP S3.15", apply: (g) => g.set("release-archive-bucket-object-lock", { rule: { defaultRetention: { mode: "GOVERNANCE", days: 2555 } } }), expect: ["DATA-S3-02-archive-object-lock", "release-archive-bucket"] },
  { name: "archive object lock retention cut to 30 days", source: "FSBP S3.15", apply: (g) => g.set("release-archive-bucket-object-lock", { rule: { defaultRetention: { mode: "COMPLIANCE", days: 30 } } }), expect: ["DATA-S3-02-archive-object-lock", "release-archive-bucket"] },
  { name: "archive object lock configuration removed", source: "FSBP S3.15", apply: (g) => g.remove("release-archive-bucket-object-lock"), expect: ["DATA-S3-03-archive-versioning-and-lock-resources", "release-archive-bucket"] },
  { name: "access-log bucket lifecycle removed", source: "FSBP S3.13", apply: (g) => g.remove("access-logs-bucket-lifecycle"), expect: ["DATA-S3-04-lifecycle-rules", "access-logs-bucket"] },
  { name: "archive server access logging removed", source: "FSBP S3.9", apply: (g) => g.remove("release-archive-bucket-logging"), expect: ["DATA-S3-05-access-logging", "release-archive-bucket"] },
  {
    name: "archive lifecycle expires releases after a year",
    source: "ORG (release retention)",
    apply: (g) => {
      const rules = g.get("release-archive-bucket-lifecycle").inputs!.rules as Array<Record<string, unknown>>;
      g.set("release-archive-bucket-lifecycle", { rules: [{ ...rules[0]!, expiration: { days: 365 } }, rules[1]!] });
    },
    expect: ["DATA-S3-06-archive-never-expires", "release-archive-bucket-lifecycle"],
  },
  {
    name: "archive lifecycle gains a catch-all expiry rule",
    source: "ORG (release retention)",
    apply: (g) => {
      const rules = g.get("release-archive-bucket-lifecycle").inputs!.rules as Array<Record<string, unknown>>;
      g.set("release-archive-bucket-lifecycle", { rules: [...rules, { id: "cleanup", status: "Enabled", filter: {}, expiration: { days: 730 } }] });
    },
    expect: ["DATA-S3-06-archive-never-expires", "release-archive-bucket-lifecycle"],
  },
  {
    name: "access logs deleted after 30 days",
    source: "ORG (log retention), CloudWatch.16 analogue",
    apply: (g) => g.set("access-logs-bucket-lifecycle", { rules: [{ ...(g.get("access-logs-bucket-lifecycle").inputs!.rules as Array<Record<string, unknown>>)[0]!, expiration: { days: 30 } }] }),
    expect: ["DATA-S3-08-access-log-retention", "access-logs-bucket-lifecycle"],
  },
  { name: "forceDestroy on the archive bucket", source: "ORG (release retention)", apply: (g) => g.set("release-archive-bucket", { forceDestroy: true }), expect: ["DATA-S3-07-no-force-destroy", "release-archive-bucket"] },
  { name: "archive bucket created without object lock", source: "FSBP S3.15", apply: (g) => g.set("release-archive-bucket", { objectLockEnabled: false }), expect: ["DATA-S3-02-archive-object-lock", "release-archive-bucket"] },
  { name: "archive bucket no longer protected", source: "ORG (protect)", apply: (g) => (g.get("release-archive-bucket").protect = false), expect: ["DATA-DEL-01-stateful-protected", "release-archive-bucket"] },

  // ECR
  { name: "repository tags mutable", source: "FSBP ECR.2", apply: (g) => g.set("orders-api-repo", { imageTagMutability: "MUTABLE" }), expect: ["SEC-ECR-01-immutable-tags", "orders-api-repo"] },
  { name: "repository scan on push off", source: "FSBP ECR.1", apply: (g) => g.set("orders-api-repo", { imageScanningConfiguration: { scanOnPush: false } }), expect: ["SEC-ECR-02-scan-on-push", "orders-api-repo"] },
  { name: "repository encrypted with AES256", source: "FSBP ECR.5", apply: (g) => g.set("orders-api-repo", { encryptionConfigurations: [{ encryptionType: "AES256" }] }), expect: ["SEC-ECR-03-kms-encryption", "orders-api-repo"] },
  { name: "repository lifecycle policy removed", source: "FSBP ECR.3", apply: (g) => g.remove("orders-api-repo-lifecycle"), expect: ["SEC-ECR-04-lifecycle-policy", "orders-api-repo"] },
  {
    name: "lifecycle expires release images 90 days after push",
    source: "ORG (release retention)",
    apply: (g) =>
      g.editJson("orders-api-repo-lifecycle", "policy", (d) => {
        (d.rules as Array<Record<string, unknown>>)[1]!.selection = { tagStatus: "tagged", tagPrefixList: ["v"], countType: "sinceImagePushed", countUnit: "days", countNumber: 90 };
      }),
    expect: ["DATA-ECR-01-keep-released-images", "orders-api-repo-lifecycle"],
  },
  {
    name: "lifecycle rule on any tag keeps only 10 images",
    source: "ORG (release retention)",
    apply: (g) =>
      g.editJson("orders-api-repo-lifecycle", "policy", (d) => {
        (d.rules as Array<Record<string, unknown>>)[1]!.selection = { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 10 };
      }),
    expect: ["DATA-ECR-01-keep-released-images", "orders-api-repo-lifecycle"],
  },
  { name: "repository force-deletable", source: "ORG (release retention)", apply: (g) => g.set("orders-api-repo", { forceDelete: true }), expect: ["DATA-ECR-02-no-force-delete", "orders-api-repo"] },
  {
    name: "promotion copies another digest than the one deployed",
    source: "ORG (build once)",
    apply: (g) => {
      const env = g.get("orders-api-promotion").inputs!.environment as Record<string, string>;
      g.set("orders-api-promotion", { triggers: [digest("f")], environment: { ...env, PROMOTION_SOURCE: env.PROMOTION_SOURCE!.replace(/sha256:.*/, digest("f")) } });
    },
    expect: ["DATA-REL-01-promoted-images", "orders-api-task"],
  },
  { name: "repository no longer protected", source: "ORG (protect)", apply: (g) => (g.get("orders-api-repo").protect = false), expect: ["DATA-DEL-01-stateful-protected", "orders-api-repo"] },
  {
    name: "repository policy lets anyone pull",
    source: "ORG (public access)",
    apply: (g) =>
      g.add(
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        "orders-api-repo-policy",
        { repository: "backend-release/prod/orders-api", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Pull", Effect: "Allow", Principal: "*", Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"] }] }) },
        "orders-api-repo",
      ),
    expect: ["SEC-RES-01-no-public-access", "orders-api-repo-policy"],
  },
  {
    name: "repository policy gives another account ecr:*",
    source: "ORG (cross-account)",
    apply: (g) =>
      g.add(
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        "orders-api-repo-policy",
        { repository: "backend-release/prod/orders-api", policy: JSON.stringify({ Version: "2012-10-17", Statement: { Sid: "Partner", Effect: "Allow", Principal: { AWS: FOREIGN }, Action: "ecr:*" } }) },
        "orders-api-repo",
      ),
    expect: ["SEC-RES-02-no-untrusted-accounts", "orders-api-repo-policy"],
  },

  // ECS
  { name: "container privileged", source: "FSBP ECS.4", apply: (g) => g.editContainer("orders-api-task", (c) => (c.privileged = true)), expect: ["SEC-ECS-03-not-privileged", "orders-api-task"] },
  { name: "root filesystem writable", source: "FSBP ECS.5", apply: (g) => g.editContainer("orders-api-task", (c) => (c.readonlyRootFilesystem = false)), expect: ["SEC-ECS-04-read-only-root-fs", "orders-api-task"] },
  { name: "container user removed (root)", source: "FSBP ECS.20", apply: (g) => g.editContainer("orders-api-task", (c) => delete c.user), expect: ["SEC-ECS-05-non-root-user", "orders-api-task"] },
  { name: "migration container runs as root", source: "FSBP ECS.20", apply: (g) => g.editContainer("orders-api-migrations-task", (c) => (c.user = "root")), expect: ["SEC-ECS-05-non-root-user", "orders-api-migrations-task"] },
  { name: "log configuration removed", source: "FSBP ECS.9", apply: (g) => g.editContainer("orders-api-task", (c) => delete c.logConfiguration), expect: ["SEC-ECS-06-log-configuration", "orders-api-task"] },
  { name: "secret passed as environment variable", source: "FSBP ECS.8", apply: (g) => g.editContainer("orders-api-task", (c) => (c.environment as unknown[]).push({ name: "ORDERS_SIGNING_KEY", value: "s3cr3t" })), expect: ["SEC-ECS-01-no-secret-environment", "orders-api-task"] },
  { name: "secret valueFrom a literal", source: "FSBP ECS.8", apply: (g) => g.editContainer("orders-api-task", (c) => ((c.secrets as Array<Record<string, unknown>>).find((x) => x.name === "ORDERS_SIGNING_KEY")!.valueFrom = "plaintext")), expect: ["SEC-ECS-02-secrets-value-from", "orders-api-task"] },
  { name: "service assigns public IPs", source: "FSBP ECS.2", apply: (g) => g.set("orders-api-service", { networkConfiguration: { ...(g.get("orders-api-service").inputs!.networkConfiguration as object), assignPublicIp: true } }), expect: ["SEC-ECS-07-no-public-ip", "orders-api-service"] },
  { name: "task definition on host networking", source: "FSBP ECS.17", apply: (g) => g.set("orders-api-task", { networkMode: "host" }), expect: ["SEC-ECS-08-awsvpc-network-mode", "orders-api-task"] },
  { name: "image referenced by tag", source: "ORG (build once)", apply: (g) => g.editContainer("orders-api-task", (c) => (c.image = String(c.image).replace(/@sha256:.*/, ":latest"))), expect: ["SEC-ECS-09-image-digest", "orders-api-task"] },
  { name: "image pulled from Docker Hub", source: "ORG (registries)", apply: (g) => g.editContainer("orders-api-task", (c) => (c.image = `docker.io/library/node@${digest("d")}`)), expect: ["SEC-ECS-09-image-digest", "orders-api-task"] },
  {
    name: "prod runs the image straight from staging's registry",
    source: "ORG (registries)",
    apply: (g) => g.editContainer("orders-api-task", (c) => (c.image = String(c.image).replace(/^\d{12}\.dkr\.ecr\.[^/]+\/backend-release\/prod/, "111122223333.dkr.ecr.eu-central-1.amazonaws.com/backend-release/staging"))),
    expect: ["SEC-ECS-09-image-digest", "orders-api-task"],
  },
  { name: "ECS Exec enabled in prod", source: "ORG (production tier)", apply: (g) => g.set("orders-api-service", { enableExecuteCommand: true }), expect: ["SEC-ECS-10-no-execute-command", "orders-api-service"] },
  {
    name: "container adds SYS_ADMIN",
    source: "ORG",
    apply: (g) => g.editContainer("orders-api-task", (c) => (c.linuxParameters = { initProcessEnabled: true, capabilities: { add: ["SYS_ADMIN"], drop: ["ALL"] } })),
    expect: ["SEC-ECS-11-no-added-capabilities", "orders-api-task"],
  },
  { name: "container keeps default capabilities (drop ALL removed)", source: "ORG (least privilege)", apply: (g) => g.editContainer("orders-api-task", (c) => (c.linuxParameters = { initProcessEnabled: true })), expect: ["SEC-ECS-11-no-added-capabilities", "orders-api-task"] },
  { name: "task shares the host PID namespace", source: "FSBP ECS.3", apply: (g) => g.set("orders-api-task", { pidMode: "host" }), expect: ["SEC-ECS-12-no-host-namespaces", "orders-api-task"] },
  { name: "Container Insights disabled", source: "FSBP ECS.12", apply: (g) => g.set("cluster", { settings: [{ name: "containerInsights", value: "disabled" }] }), expect: ["SEC-ECS-13-container-insights", "cluster"] },
  { name: "Container Insights setting dropped", source: "FSBP ECS.12", apply: (g) => g.unset("cluster", "settings"), expect: ["SEC-ECS-13-container-insights", "cluster"] },
  { name: "Fargate platform pinned to 1.3.0", source: "FSBP ECS.10", apply: (g) => g.set("orders-api-service", { platformVersion: "1.3.0" }), expect: ["SEC-ECS-14-fargate-latest-platform", "orders-api-service"] },
  { name: "service no longer waits for its migration", source: "ORG (migrations)", apply: (g) => (g.get("orders-api-service").dependencies = []), expect: ["DATA-MIG-01-service-after-migration", "orders-api-service"] },
  { name: "task runs a digest that was never promoted", source: "ORG (build once)", apply: (g) => g.editContainer("orders-api-task", (c) => (c.image = String(c.image).replace(/sha256:.*/, digest("e")))), expect: ["DATA-REL-01-promoted-images", "orders-api-task"] },

  // IAM
  {
    name: "execution policy grants s3:*",
    source: "FSBP IAM.21",
    apply: (g) => g.editJson("orders-api-execution-policy", "policy", (d) => (d.Statement as unknown[]).push({ Effect: "Allow", Action: "s3:*", Resource: `${ARCHIVE_ARN}/*` })),
    expect: ["SEC-IAM-01-no-wildcard-actions", "orders-api-execution-policy"],
  },
  { name: "execution policy grants *:*", source: "FSBP IAM.1, CIS 1.16", apply: (g) => g.editJson("orders-api-execution-policy", "policy", (d) => (d.Statement as unknown[]).push({ Effect: "Allow", Action: "*", Resource: "*" })), expect: ["SEC-IAM-02-no-full-admin", "orders-api-execution-policy"] },
  {
    name: "secrets readable on Resource '*'",
    source: "ORG (least privilege)",
    apply: (g) => g.editJson("orders-api-execution-policy", "policy", (d) => ((d.Statement as Array<Record<string, unknown>>)[3]!.Resource = "*")),
    expect: ["SEC-IAM-03-no-resource-star", "orders-api-execution-policy"],
  },
  {
    name: "execution role may read every secret of the account",
    source: "ORG (least privilege)",
    apply: (g) => g.editJson("orders-api-execution-policy", "policy", (d) => ((d.Statement as Array<Record<string, unknown>>)[3]!.Resource = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:*")),
    expect: ["SEC-IAM-03-no-resource-star", "orders-api-execution-policy"],
  },
  { name: "kms:Decrypt on every key", source: "FSBP KMS.2", apply: (g) => g.editJson("orders-api-execution-policy", "policy", (d) => ((d.Statement as Array<Record<string, unknown>>)[4]!.Resource = "*")), expect: ["SEC-IAM-03-no-resource-star", "orders-api-execution-policy"] },
  {
    name: "task role gets AdministratorAccess",
    source: "FSBP IAM.1",
    apply: (g) => g.add("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "orders-api-task-admin", { role: "orders-api-task-role-4172959", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }, "orders-api-task-role"),
    expect: ["SEC-IAM-05-no-admin-managed-policies", "orders-api-task-admin"],
  },
  {
    name: "task role gets AmazonS3FullAccess",
    source: "FSBP IAM.21",
    apply: (g) => g.set("orders-api-task-role", { managedPolicyArns: ["arn:aws:iam::aws:policy/AmazonS3FullAccess"] }),
    expect: ["SEC-IAM-05-no-admin-managed-policies", "orders-api-task-role"],
  },
  { name: "an IAM user for CI", source: "FSBP IAM.2/IAM.3, CIS 1.15", apply: (g) => g.add("aws:iam/user:User", "ci-deployer", { name: "ci-deployer" }, "orders-api-task-role"), expect: ["SEC-IAM-06-no-iam-users", "ci-deployer"] },
  { name: "a long-lived access key", source: "FSBP IAM.3, CIS 1.14", apply: (g) => g.add("aws:iam/accessKey:AccessKey", "ci-deployer-key", { user: "ci-deployer" }, "orders-api-task-role"), expect: ["SEC-IAM-06-no-iam-users", "ci-deployer-key"] },
  {
    name: "policy attached to a user",
    source: "FSBP IAM.2",
    apply: (g) => g.add("aws:iam/userPolicyAttachment:UserPolicyAttachment", "ci-deployer-ecr", { user: "ci-deployer", policyArn: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPowerUser" }, "orders-api-task-role"),
    expect: ["SEC-IAM-04-no-user-policies", "ci-deployer-ecr"],
  },
  { name: "trust policy open to anyone", source: "ORG (public access)", apply: (g) => g.set("orders-api-task-role", { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }] }) }), expect: ["SEC-RES-01-no-public-access", "orders-api-task-role"] },
  {
    name: "trust policy lets another account assume the execution role",
    source: "ORG (cross-account)",
    apply: (g) => g.set("orders-api-execution-role", { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com", AWS: `arn:aws:iam::${FOREIGN}:root` }, Action: "sts:AssumeRole" }] }) }),
    expect: ["SEC-RES-02-no-untrusted-accounts", "orders-api-execution-role"],
  },
  {
    name: "GitHub OIDC trust without a subject condition",
    source: "ORG (CI federation)",
    apply: (g) =>
      g.add(
        "aws:iam/role:Role",
        "ci-deploy-role",
        {
          assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` }, Action: "sts:AssumeRoleWithWebIdentity", Condition: { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" } } }],
          }),
        },
        "orders-api-task-role",
      ),
    expect: ["SEC-RES-01-no-public-access", "ci-deploy-role"],
  },

  // KMS
  { name: "data key rotation off", source: "FSBP KMS.4, CIS 3.6", apply: (g) => g.set("keys-data", { enableKeyRotation: false }), expect: ["SEC-KMS-01-key-rotation", "keys-data"] },
  { name: "data key rotates only every 7 years", source: "FSBP KMS.4, ORG", apply: (g) => g.set("keys-data", { rotationPeriodInDays: 2560 }), expect: ["SEC-KMS-01-key-rotation", "keys-data"] },
  { name: "artifacts key deletion window at the 7-day minimum", source: "FSBP KMS.3", apply: (g) => g.set("keys-artifacts", { deletionWindowInDays: 7 }), expect: ["DATA-KMS-01-deletion-window", "keys-artifacts"] },
  { name: "logs key disabled", source: "FSBP KMS.3", apply: (g) => g.set("keys-logs", { isEnabled: false }), expect: ["DATA-KMS-01-deletion-window", "keys-logs"] },
  { name: "data key no longer protected", source: "ORG (protect)", apply: (g) => (g.get("keys-data").protect = false), expect: ["DATA-DEL-01-stateful-protected", "keys-data"] },
  { name: "data key policy lets anyone decrypt", source: "FSBP KMS.5", apply: (g) => g.addStatement("keys-data", { Sid: "Anyone", Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:Decrypt", Resource: "*" }), expect: ["SEC-RES-01-no-public-access", "keys-data"] },
  { name: "artifacts key policy lets another account decrypt", source: "FSBP KMS.5", apply: (g) => g.addStatement("keys-artifacts", { Sid: "Partner", Effect: "Allow", Principal: { AWS: FOREIGN }, Action: ["kms:Decrypt"], Resource: "*" }), expect: ["SEC-RES-02-no-untrusted-accounts", "keys-artifacts"] },
  {
    name: "logs key policy loses the encryption-context condition",
    source: "ORG (confused deputy)",
    apply: (g) => g.editJson("keys-logs", "policy", (d) => delete (d.Statement as Array<Record<string, unknown>>)[1]!.Condition),
    expect: ["SEC-RES-04-service-grants-scoped", "keys-logs"],
  },
  {
    name: "a KeyPolicy resource granting kms:* to a role",
    source: "ORG (wildcards)",
    apply: (g) =>
      g.add(
        "aws:kms/keyPolicy:KeyPolicy",
        "keys-data-policy",
        {
          keyId: "keys-data-f1d772ef",
          policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "kms:*", Resource: "*" }, { Sid: "App", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/app` }, Action: "kms:*", Resource: "*" }] }),
        },
        "keys-data",
      ),
    expect: ["SEC-RES-03-no-wildcard-grants", "keys-data-policy"],
  },
  { name: "key policy written with the lockout check bypassed", source: "ORG", apply: (g) => g.set("keys-logs", { bypassPolicyLockoutSafetyCheck: true }), expect: ["SEC-KMS-02-policy-lockout-check", "keys-logs"] },

  // Network
  { name: "SSH open to the internet on the tasks' group", source: "FSBP EC2.13, CIS 5.2", apply: (g) => g.add("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "tasks-ssh", { securityGroupId: "sg-f5f9d959cddabc5ce", cidrIpv4: "0.0.0.0/0", ipProtocol: "tcp", fromPort: 22, toPort: 22 }, "network-db-from-tasks"), expect: ["SEC-NET-01-world-only-443", "tasks-ssh"] },
  { name: "RDP open over IPv6 on the ALB group", source: "FSBP EC2.14, CIS 5.3", apply: (g) => g.add("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "alb-rdp-v6", { securityGroupId: "sg-b5198a09aac9fbbc3", cidrIpv6: "::/0", ipProtocol: "6", fromPort: 3389, toPort: 3389 }, "network-db-from-tasks"), expect: ["SEC-NET-01-world-only-443", "alb-rdp-v6"] },
  { name: "all traffic from the internet on the HTTPS rule", source: "FSBP EC2.18/EC2.19", apply: (g) => g.set("network-alb-https-in-0", { ipProtocol: "-1", fromPort: undefined, toPort: undefined }), expect: ["SEC-NET-01-world-only-443", "network-alb-https-in-0"] },
  { name: "database open to the internet on 5432", source: "FSBP EC2.19, RDS.2", apply: (g) => g.set("network-db-from-tasks", { referencedSecurityGroupId: undefined, cidrIpv4: "0.0.0.0/0" }), expect: ["SEC-NET-01-world-only-443", "network-db-from-tasks"] },
  { name: "service port open to the internet", source: "FSBP EC2.18", apply: (g) => g.set("network-tasks-from-alb-8080", { referencedSecurityGroupId: undefined, cidrIpv4: "0.0.0.0/0" }), expect: ["SEC-NET-01-world-only-443", "network-tasks-from-alb-8080"] },
  { name: "inline ingress on the database group (old-style SecurityGroup rules)", source: "FSBP EC2.19", apply: (g) => g.set("network-database", { ingress: [{ protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["0.0.0.0/0"] }] }), expect: ["SEC-NET-01-world-only-443", "network-database"] },
  { name: "a SecurityGroupRule opening 0-65535", source: "FSBP EC2.18", apply: (g) => g.add("aws:ec2/securityGroupRule:SecurityGroupRule", "alb-all-tcp", { type: "ingress", securityGroupId: "sg-b5198a09aac9fbbc3", protocol: "tcp", fromPort: 0, toPort: 65535, cidrBlocks: ["0.0.0.0/0"] }, "network-db-from-tasks"), expect: ["SEC-NET-01-world-only-443", "alb-all-tcp"] },
  { name: "port-80 group also attached to the service", source: "FSBP ELB.1", apply: (g) => g.set("orders-api-service", { networkConfiguration: { ...(g.get("orders-api-service").inputs!.networkConfiguration as object), securityGroups: ["sg-f5f9d959cddabc5ce", "sg-2e218916d154a6967"] } }), expect: ["SEC-NET-02-http-only-to-redirect", "network-alb-http-in-0"] },
  { name: "tasks egress widened to all traffic", source: "ORG (egress)", apply: (g) => g.set("network-tasks-https-out", { ipProtocol: "-1", fromPort: undefined, toPort: undefined }), expect: ["SEC-NET-03-egress-to-internet", "network-tasks-https-out"] },
  { name: "tasks reach PostgreSQL anywhere on the internet", source: "ORG (egress)", apply: (g) => g.set("network-tasks-to-db", { referencedSecurityGroupId: undefined, cidrIpv4: "0.0.0.0/0" }), expect: ["SEC-NET-03-egress-to-internet", "network-tasks-to-db"] },
  { name: "the VPC default group allows its own traffic", source: "FSBP EC2.2, CIS 5.4", apply: (g) => g.add("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default-sg", { vpcId: "vpc-0c4d5e6f7a8b9c0d1", ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }], egress: [] }, TASKS_SG), expect: ["SEC-NET-04-default-security-group-closed", "default-sg"] },
  { name: "a network ACL allowing SSH from anywhere", source: "FSBP EC2.21, CIS 5.1", apply: (g) => g.add("aws:ec2/networkAclRule:NetworkAclRule", "ssh-in", { networkAclId: "acl-1", ruleNumber: 100, egress: false, protocol: "tcp", ruleAction: "allow", cidrBlock: "0.0.0.0/0", fromPort: 22, toPort: 22 }, TASKS_SG), expect: ["SEC-NET-05-nacl-admin-ports", "ssh-in"] },

  // ALB
  { name: "HTTP listener forwards instead of redirecting", source: "FSBP ELB.1", apply: (g) => g.set("orders-api-http-redirect", { defaultActions: [{ type: "forward", targetGroupArn: "tg" }] }), expect: ["SEC-ALB-01-http-redirect-only", "orders-api-http-redirect"] },
  { name: "HTTPS listener on a 2016 TLS policy", source: "FSBP ELB.17", apply: (g) => g.set("orders-api-https", { sslPolicy: "ELBSecurityPolicy-2016-08" }), expect: ["SEC-ALB-02-modern-tls-policy", "orders-api-https"] },
  { name: "invalid headers forwarded", source: "FSBP ELB.4", apply: (g) => g.set("orders-api-alb", { dropInvalidHeaderFields: false }), expect: ["SEC-ALB-03-drop-invalid-headers", "orders-api-alb"] },
  { name: "access logs disabled", source: "FSBP ELB.5", apply: (g) => g.set("orders-api-alb", { accessLogs: { bucket: "backend-release-prod-access-logs-eu-central-1", prefix: "alb/orders-api", enabled: false } }), expect: ["SEC-ALB-04-access-logs", "orders-api-alb"] },
  { name: "access logs removed", source: "FSBP ELB.5", apply: (g) => g.unset("orders-api-alb", "accessLogs"), expect: ["SEC-ALB-04-access-logs", "orders-api-alb"] },
  { name: "deletion protection off in prod", source: "FSBP ELB.6", apply: (g) => g.set("orders-api-alb", { enableDeletionProtection: false }), expect: ["SEC-ALB-05-deletion-protection", "orders-api-alb"] },
  { name: "desync mitigation in monitor mode", source: "FSBP ELB.12", apply: (g) => g.set("orders-api-alb", { desyncMitigationMode: "monitor" }), expect: ["SEC-ALB-06-desync-mitigation", "orders-api-alb"] },
  { name: "load balancer in one subnet", source: "FSBP ELB.13", apply: (g) => g.set("orders-api-alb", { subnets: ["subnet-0b21c32d43e54f601"] }), expect: ["SEC-ALB-07-multi-az", "orders-api-alb"] },

  // Logs and secrets
  { name: "service log group without KMS", source: "ORG (encryption)", apply: (g) => g.unset("orders-api-logs", "kmsKeyId"), expect: ["SEC-LOG-01-log-group-encrypted", "orders-api-logs"] },
  { name: "postgres log group kept 30 days", source: "FSBP CloudWatch.16", apply: (g) => g.set("database-postgresql-log", { retentionInDays: 30 }), expect: ["DATA-LOG-01-retention-minimum", "database-postgresql-log"] },
  { name: "insights log group kept forever (retention unset)", source: "FSBP CloudWatch.16", apply: (g) => g.unset("cluster-insights-log", "retentionInDays"), expect: ["DATA-LOG-01-retention-minimum", "cluster-insights-log"] },
  { name: "secret on the AWS-managed key", source: "ORG (encryption)", apply: (g) => g.unset("orders-api-orders-signing-key", "kmsKeyId"), expect: ["SEC-SM-01-customer-managed-key", "orders-api-orders-signing-key"] },
  { name: "secret force-deleted (recovery window 0)", source: "ORG (recovery)", apply: (g) => g.set("orders-api-orders-signing-key", { recoveryWindowInDays: 0 }), expect: ["DATA-SM-01-recovery-window", "orders-api-orders-signing-key"] },
  { name: "secret recovery window at the 7-day minimum", source: "ORG (recovery)", apply: (g) => g.set("orders-api-orders-signing-key", { recoveryWindowInDays: 7 }), expect: ["DATA-SM-01-recovery-window", "orders-api-orders-signing-key"] },
  {
    name: "secret policy lets anyone read it",
    source: "ORG (public access)",
    apply: (g) =>
      g.add(
        "aws:secretsmanager/secretPolicy:SecretPolicy",
        "signing-key-policy",
        { secretArn: "arn:aws:secretsmanager:eu-central-1:123456789012:secret:backend-release/prod/orders-api/ORDERS_SIGNING_KEY-f37555", policy: { Version: "2012-10-17", Statement: { Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: "*" } } },
        "orders-api-orders-signing-key",
      ),
    expect: ["SEC-RES-01-no-public-access", "signing-key-policy"],
  },
  { name: "data-classification tag removed from the database", source: "ORG (tags)", apply: (g) => g.set("database-instance", { tags: { owner: "orders-backend" } }), expect: ["DATA-TAG-01-classification-and-owner", "database-instance"] },

  // RDS
  { name: "database publicly accessible", source: "FSBP RDS.2, CIS 2.3.3", apply: (g) => g.set("database-instance", { publiclyAccessible: true }), expect: ["SEC-RDS-01-not-public", "database-instance"] },
  { name: "storage encryption off", source: "FSBP RDS.3, CIS 2.3.1", apply: (g) => g.set("database-instance", { storageEncrypted: false }), expect: ["DATA-RDS-01-encryption-cmk", "database-instance"] },
  { name: "deletion protection off", source: "FSBP RDS.8", apply: (g) => g.set("database-instance", { deletionProtection: false }), expect: ["DATA-RDS-02-deletion-protection", "database-instance"] },
  { name: "backups kept 7 days", source: "FSBP RDS.11", apply: (g) => g.set("database-instance", { backupRetentionPeriod: 7 }), expect: ["DATA-RDS-03-backup-retention", "database-instance"] },
  { name: "single-AZ in prod", source: "FSBP RDS.5", apply: (g) => g.set("database-instance", { multiAz: false }), expect: ["DATA-RDS-04-multi-az", "database-instance"] },
  { name: "snapshots lose the tags", source: "FSBP RDS.17", apply: (g) => g.set("database-instance", { copyTagsToSnapshot: false }), expect: ["DATA-RDS-05-copy-tags-to-snapshot", "database-instance"] },
  { name: "Performance Insights on the AWS key", source: "ORG (encryption)", apply: (g) => g.unset("database-instance", "performanceInsightsKmsKeyId"), expect: ["DATA-RDS-06-performance-insights-encrypted", "database-instance"] },
  { name: "final snapshot skipped", source: "ORG (recovery)", apply: (g) => g.set("database-instance", { skipFinalSnapshot: true }), expect: ["DATA-RDS-07-final-snapshot", "database-instance"] },
  { name: "database no longer protected", source: "ORG (protect)", apply: (g) => (g.get("database-instance").protect = false), expect: ["DATA-DEL-01-stateful-protected", "database-instance"] },
  { name: "parameter group stops forcing TLS", source: "ORG (TLS), FSBP RDS.41/44 analogue", apply: (g) => g.set("database-params", { parameters: [{ name: "log_min_duration_statement", value: "250" }, { name: "rds.force_ssl", value: "0", applyMethod: "pending-reboot" }] }), expect: ["SEC-RDS-02-force-tls", "database-params"] },
  { name: "rds.force_ssl dropped from the parameter group", source: "ORG (TLS)", apply: (g) => g.set("database-params", { parameters: [{ name: "log_min_duration_statement", value: "250" }] }), expect: ["SEC-RDS-02-force-tls", "database-params"] },
  { name: "database back on the default parameter group", source: "ORG (TLS)", apply: (g) => g.unset("database-instance", "parameterGroupName"), expect: ["SEC-RDS-02-force-tls", "database-instance"] },
  { name: "master password set instead of managed", source: "ORG (secrets)", apply: (g) => g.set("database-instance", { manageMasterUserPassword: false, password: "correct-horse-battery" }), expect: ["SEC-RDS-03-managed-master-password", "database-instance"] },
  { name: "database on the expired rds-ca-2019 certificate authority", source: "ORG (TLS)", apply: (g) => g.set("database-instance", { caCertIdentifier: "rds-ca-2019" }), expect: ["SEC-RDS-10-current-certificate-authority", "database-instance"] },
  { name: "IAM authentication off", source: "FSBP RDS.10", apply: (g) => g.set("database-instance", { iamDatabaseAuthenticationEnabled: false }), expect: ["SEC-RDS-04-iam-authentication", "database-instance"] },
  { name: "admin user named postgres", source: "FSBP RDS.25", apply: (g) => g.set("database-instance", { username: "postgres" }), expect: ["SEC-RDS-05-custom-admin-username", "database-instance"] },
  { name: "no DB subnet group", source: "FSBP RDS.18", apply: (g) => g.unset("database-instance", "dbSubnetGroupName"), expect: ["SEC-RDS-06-in-stack-subnets", "database-instance"] },
  { name: "engine PostgreSQL 12, past end of standard support", source: "ORG (supported versions)", apply: (g) => g.set("database-instance", { engineVersion: "12.22" }), expect: ["SEC-RDS-07-supported-engine-version", "database-instance"] },
  { name: "minor version upgrades off", source: "FSBP RDS.13, CIS 2.3.2", apply: (g) => g.set("database-instance", { autoMinorVersionUpgrade: false }), expect: ["SEC-RDS-08-auto-minor-version-upgrade", "database-instance"] },
  { name: "postgresql log export off", source: "FSBP RDS.9/RDS.36", apply: (g) => g.set("database-instance", { enabledCloudwatchLogsExports: [] }), expect: ["SEC-RDS-09-log-exports", "database-instance"] },

  // Operations
  {
    name: "paging monitor notifies nobody",
    source: "ORG (on-call), CloudWatch.15 analogue",
    apply: (g) => g.set("orders-api-errorRate-monitor", { message: String(g.get("orders-api-errorRate-monitor").inputs!.message).replace(/@pagerduty-\S+\n?/g, "") }),
    expect: ["OPS-MON-01-paging-monitors-notify", "orders-api-errorRate-monitor"],
  },
  {
    name: "paging monitor pages a PagerDuty service that does not exist",
    source: "ORG (on-call)",
    apply: (g) => g.set("orders-api-dbFreeStorage-monitor", { message: String(g.get("orders-api-dbFreeStorage-monitor").inputs!.message).replace(/@pagerduty-orders-api-prod/g, "@pagerduty-orders-prod") }),
    expect: ["OPS-MON-01-paging-monitors-notify", "orders-api-dbFreeStorage-monitor"],
  },
  {
    name: "ticket monitor notifies nobody",
    source: "ORG (on-call), CloudWatch.15 analogue",
    apply: (g) => g.set("orders-api-cpu-monitor", { message: String(g.get("orders-api-cpu-monitor").inputs!.message).replace(/@slack-\S+\n?/g, "") }),
    expect: ["OPS-MON-01-paging-monitors-notify", "orders-api-cpu-monitor"],
  },
  { name: "monitor without its runbook link", source: "ORG (runbooks)", apply: (g) => g.set("orders-api-cpu-monitor", { message: String(g.get("orders-api-cpu-monitor").inputs!.message).replace(/Runbook: \S+\n?/, "") }), expect: ["OPS-MON-02-runbook-link", "orders-api-cpu-monitor"] },
  { name: "fast-burn monitor of the availability SLO removed", source: "ORG (SLO alerting)", apply: (g) => g.remove("orders-api-availability-burn-1h-monitor"), expect: ["OPS-SLO-01-burn-rate-monitors", "orders-api-availability-slo"] },
  { name: "slow-burn monitor of the latency SLO removed", source: "ORG (SLO alerting)", apply: (g) => g.remove("orders-api-latency-burn-48h-monitor"), expect: ["OPS-SLO-01-burn-rate-monitors", "orders-api-latency-slo"] },
  {
    name: "escalation policy with a single level",
    source: "ORG (on-call)",
    apply: (g) => g.set("oncall-escalation", { rules: [(g.get("oncall-escalation").inputs!.rules as unknown[])[0]] }),
    expect: ["OPS-PD-01-escalation-levels", "oncall-escalation"],
  },
  { name: "prod PagerDuty service at low urgency", source: "ORG (on-call)", apply: (g) => g.set("oncall-orders-api", { incidentUrgencyRule: { type: "constant", urgency: "low" } }), expect: ["OPS-PD-02-high-urgency", "oncall-orders-api"] },

  // Input-only changes: a preview before the provider reports outputs; stack rules see the planned state.
  { name: "(inputs only) archive object lock downgraded", source: "FSBP S3.15", apply: (g) => g.setInputs("release-archive-bucket-object-lock", { rule: { defaultRetention: { mode: "GOVERNANCE", days: 10 } } }), expect: ["DATA-S3-02-archive-object-lock", "release-archive-bucket"] },
  { name: "(inputs only) port 22 on the HTTPS rule", source: "CIS 5.2", apply: (g) => g.setInputs("network-alb-https-in-0", { fromPort: 22, toPort: 22 }), expect: ["SEC-NET-01-world-only-443", "network-alb-https-in-0"] },
  {
    name: "(inputs only) access-log bucket policy public",
    source: "FSBP S3.2",
    apply: (g) => {
      const doc = JSON.parse(String(g.get("access-logs-bucket-policy").inputs!.policy)) as { Statement: unknown[] };
      doc.Statement.push({ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::backend-release-prod-access-logs-eu-central-1/*" });
      g.setInputs("access-logs-bucket-policy", { policy: JSON.stringify(doc) });
    },
    expect: ["SEC-RES-01-no-public-access", "access-logs-bucket-policy"],
  },
];

export const COMPLIANT_VARIATIONS: GraphChange[] = [
  { name: "HTTPS ingress written with protocol number 6", source: "AWS accepts IANA numbers", apply: (g) => g.set("network-alb-https-in-0", { ipProtocol: "6" }) },
  { name: "HTTPS ingress written in upper case", source: "AWS normalises case", apply: (g) => g.set("network-alb-https-in-0", { ipProtocol: "TCP" }) },
  { name: "HTTPS also over IPv6", source: "CIS 5.3 allows 443", apply: (g) => g.add("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "alb-https-in-v6", { securityGroupId: "sg-b5198a09aac9fbbc3", cidrIpv6: "::/0", ipProtocol: "6", fromPort: 443, toPort: 443 }, "network-db-from-tasks") },
  {
    name: "archive readable by the whole organisation ({AWS: '*'} with aws:PrincipalOrgID)",
    source: "IAM Access Analyzer: not public",
    apply: (g) => g.addStatement("release-archive-bucket-policy", { Sid: "OrgRead", Effect: "Allow", Principal: { AWS: "*" }, Action: "s3:GetObject", Resource: `${ARCHIVE_ARN}/*`, Condition: { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } } }),
  },
  {
    name: "data key usable by the organisation (Principal * with aws:PrincipalOrgID)",
    source: "IAM Access Analyzer: not public",
    apply: (g) => g.addStatement("keys-data", { Sid: "OrgDecrypt", Effect: "Allow", Principal: "*", Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: "*", Condition: { StringEquals: { "aws:PrincipalOrgID": "o-a1b2c3d4e5" } } }),
  },
  {
    name: "key administrators with the AWS default admin statement",
    source: "AWS default key policy",
    apply: (g) =>
      g.addStatement("keys-artifacts", {
        Sid: "KeyAdministrators",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/platform-admin` },
        Action: ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"],
        Resource: "*",
      }),
  },
  { name: "a role of the account may read the archive", source: "same account", apply: (g) => g.addStatement("release-archive-bucket-policy", { Sid: "Auditor", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/auditor` }, Action: ["s3:GetObject", "s3:ListBucket"], Resource: [ARCHIVE_ARN, `${ARCHIVE_ARN}/*`] }) },
  { name: "the prod account's real id granted explicitly", source: "policy config accountIds", apply: (g) => g.addStatement("release-archive-bucket-policy", { Sid: "Prod", Effect: "Allow", Principal: { AWS: "arn:aws:iam::444455556666:root" }, Action: "s3:GetObject", Resource: `${ARCHIVE_ARN}/*` }) },
  {
    name: "GitHub OIDC trust pinned to the main branch",
    source: "AWS guidance for GitHub OIDC",
    apply: (g) =>
      g.add(
        "aws:iam/role:Role",
        "ci-deploy-role",
        {
          assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: { StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com", "token.actions.githubusercontent.com:sub": "repo:example-org/backend-release:ref:refs/heads/main" } },
              },
            ],
          }),
        },
        "orders-api-task-role",
      ),
  },
  { name: "trust for the account root with MFA", source: "same account", apply: (g) => g.set("orders-api-task-role", { assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole", Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } } }] }) }) },
  {
    name: "SQS queue policy for an SNS topic of the account",
    source: "AWS guidance (aws:SourceArn)",
    apply: (g) =>
      g.add(
        "aws:sqs/queuePolicy:QueuePolicy",
        "events-queue-policy",
        { queueUrl: "https://sqs.eu-central-1.amazonaws.com/123456789012/events", policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "sns.amazonaws.com" }, Action: "sqs:SendMessage", Resource: "arn:aws:sqs:eu-central-1:123456789012:events", Condition: { ArnEquals: { "aws:SourceArn": "arn:aws:sns:eu-central-1:123456789012:events" } } }] }) },
        "orders-api-task-role",
      ),
  },
  { name: "Lambda invoked by EventBridge rule of the account", source: "AWS guidance (sourceArn)", apply: (g) => g.add("aws:lambda/permission:Permission", "nightly-invoke", { action: "lambda:InvokeFunction", function: "nightly", principal: "events.amazonaws.com", sourceArn: "arn:aws:events:eu-central-1:123456789012:rule/nightly" }, "orders-api-task-role") },
  { name: "ELB log delivery through the service principal (newer regions)", source: "ELB user guide", apply: (g) => g.addStatement("access-logs-bucket-policy", { Sid: "AlbLogDeliveryService", Effect: "Allow", Principal: { Service: "logdelivery.elasticloadbalancing.amazonaws.com" }, Action: "s3:PutObject", Resource: "arn:aws:s3:::backend-release-prod-access-logs-eu-central-1/alb/AWSLogs/123456789012/*" }) },
  { name: "TLS-only deny with a wildcard resource and boolean condition", source: "equivalent policy", apply: (g) => g.editJson("release-archive-bucket-policy", "policy", (d) => (d.Statement = [{ Effect: "Deny", Principal: { AWS: "*" }, Action: "s3:*", Resource: `${ARCHIVE_ARN}*`, Condition: { Bool: { "aws:SecureTransport": false } } }])) },
  { name: "a deny statement with Principal '*'", source: "denies grant nothing", apply: (g) => g.addStatement("release-archive-bucket-policy", { Sid: "DenyDeletes", Effect: "Deny", Principal: "*", Action: ["s3:DeleteObject", "s3:DeleteObjectVersion"], Resource: `${ARCHIVE_ARN}/*` }) },
  { name: "archive lifecycle expires a scratch prefix", source: "outside the release prefix", apply: (g) => g.set("release-archive-bucket-lifecycle", { rules: [...(g.get("release-archive-bucket-lifecycle").inputs!.rules as unknown[]), { id: "tmp", status: "Enabled", filter: { prefix: "tmp/" }, expiration: { days: 7 } }] }) },
  { name: "archive lifecycle removes expired delete markers", source: "housekeeping", apply: (g) => g.set("release-archive-bucket-lifecycle", { rules: [...(g.get("release-archive-bucket-lifecycle").inputs!.rules as unknown[]), { id: "markers", status: "Enabled", filter: {}, expiration: { expiredObjectDeleteMarker: true } }] }) },
  { name: "archive lifecycle expires objects tagged temporary", source: "tag filter release objects never carry", apply: (g) => g.set("release-archive-bucket-lifecycle", { rules: [...(g.get("release-archive-bucket-lifecycle").inputs!.rules as unknown[]), { id: "temp", status: "Enabled", filter: { tag: { key: "temporary", value: "true" } }, expiration: { days: 1 } }] }) },
  { name: "ECR keeps 200 release images", source: "stricter", apply: (g) => g.editJson("orders-api-repo-lifecycle", "policy", (d) => (((d.rules as Array<Record<string, unknown>>)[1]!.selection as Record<string, unknown>).countNumber = 200)) },
  { name: "ECR expires untagged images after 7 days", source: "untagged only", apply: (g) => g.editJson("orders-api-repo-lifecycle", "policy", (d) => (((d.rules as Array<Record<string, unknown>>)[0]!.selection as Record<string, unknown>).countNumber = 7)) },
  { name: "ECR expires release-candidate tags by age", source: "not a release tag", apply: (g) => g.editJson("orders-api-repo-lifecycle", "policy", (d) => (d.rules as unknown[]).push({ rulePriority: 3, selection: { tagStatus: "tagged", tagPrefixList: ["rc-"], countType: "sinceImagePushed", countUnit: "days", countNumber: 30 }, action: { type: "expire" } })) },
  { name: "TLS 1.3-only policy", source: "stronger", apply: (g) => g.set("orders-api-https", { sslPolicy: "ELBSecurityPolicy-TLS13-1-3-2021-06" }) },
  { name: "desync mitigation defensive", source: "FSBP ELB.12 accepts it", apply: (g) => g.set("orders-api-alb", { desyncMitigationMode: "defensive" }) },
  { name: "Container Insights 'enabled'", source: "FSBP ECS.12 accepts it", apply: (g) => g.set("cluster", { settings: [{ name: "containerInsights", value: "enabled" }] }) },
  { name: "service without an explicit platform version", source: "defaults to LATEST", apply: (g) => g.unset("orders-api-service", "platformVersion") },
  { name: "one more plain environment variable", source: "not secret", apply: (g) => g.editContainer("orders-api-task", (c) => (c.environment as unknown[]).push({ name: "LOG_FORMAT", value: "json" })) },
  { name: "container user by name", source: "non-root", apply: (g) => g.editContainer("orders-api-task", (c) => (c.user = "node")) },
  { name: "data key rotates every 180 days", source: "stricter", apply: (g) => g.set("keys-data", { rotationPeriodInDays: 180 }) },
  { name: "database on the RSA 4096 certificate authority", source: "current CA", apply: (g) => g.set("database-instance", { caCertIdentifier: "rds-ca-rsa4096-g1" }) },
  { name: "database on PostgreSQL 17", source: "supported", apply: (g) => g.set("database-instance", { engineVersion: "17.2" }) },
  { name: "backups kept 35 days", source: "stricter", apply: (g) => g.set("database-instance", { backupRetentionPeriod: 35 }) },
  { name: "access logs kept two years", source: "stricter", apply: (g) => g.set("access-logs-bucket-lifecycle", { rules: [{ ...(g.get("access-logs-bucket-lifecycle").inputs!.rules as Array<Record<string, unknown>>)[0]!, expiration: { days: 730 } }] }) },
  { name: "log retention ten years", source: "stricter", apply: (g) => g.set("orders-api-logs", { retentionInDays: 3653 }) },
  { name: "parameter group logs connections too", source: "more logging", apply: (g) => g.set("database-params", { parameters: [...(g.get("database-params").inputs!.parameters as unknown[]), { name: "log_connections", value: "1" }] }) },
  { name: "paging monitor also notifies Slack", source: "more notification", apply: (g) => g.set("orders-api-errorRate-monitor", { message: `${String(g.get("orders-api-errorRate-monitor").inputs!.message)}\n@slack-orders-prod` }) },
  { name: "escalation policy with a fourth level", source: "stricter", apply: (g) => g.set("oncall-escalation", { rules: [...(g.get("oncall-escalation").inputs!.rules as unknown[]), { escalationDelayInMinutes: 30, targets: [{ type: "user_reference", id: "PMANAGER" }] }] }) },
  { name: "egress to the database by security group on 5432", source: "no CIDR", apply: (g) => g.set("network-tasks-to-db", { description: "Tasks to PostgreSQL (5432)" }) },
  { name: "an extra protected KMS key with rotation and the default policy", source: "compliant new resource", apply: (g) => g.add("aws:kms/key:Key", "keys-extra", { enableKeyRotation: true, deletionWindowInDays: 30, description: "extra" }, "keys-data", { protect: true }) },
];
