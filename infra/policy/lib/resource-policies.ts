/**
 * Every place the AWS provider lets a program write who may use a resource: resource-based
 * policies (S3, KMS, Secrets Manager, ECR, SNS, SQS, CloudWatch Logs, EventBridge, EFS, Backup,
 * API Gateway, OpenSearch, Glacier, DynamoDB, Kinesis, Glue, CodeArtifact, S3 Tables), role
 * trust policies, and Lambda's permission resources, which say the same thing in properties
 * (`principal`, `sourceArn`, ...) and are turned into equivalent statements here so that one
 * analysis judges them all. VPC endpoint policies are left out: they narrow what passes through
 * an endpoint and grant nothing, so `Principal: "*"` is their normal form.
 */
import type { PolicyResource } from "@pulumi/policy";
import { statementsOf, type Condition, type Statement } from "./policy-document";
import { asString, known, type Props } from "./props";

export interface PolicySite {
  resource: PolicyResource;
  /** How messages name it: `Bucket policy 'x'`, `KMS key 'y'`. */
  label: string;
  /** A role's trust policy: who may assume it. */
  trust: boolean;
  /** A KMS key policy: the account-root administrator statement (`kms:*`) is its normal form. */
  keyPolicy: boolean;
  statements: Statement[];
}

interface SiteKind {
  label: string;
  /** The property holding the document. */
  prop: string;
  trust?: boolean;
  keyPolicy?: boolean;
}

export const POLICY_SITES: Record<string, SiteKind> = {
  "aws:s3/bucketPolicy:BucketPolicy": { label: "Bucket policy", prop: "policy" },
  "aws:s3/bucket:Bucket": { label: "Bucket", prop: "policy" },
  "aws:s3/bucketV2:BucketV2": { label: "Bucket", prop: "policy" },
  "aws:s3control/bucketPolicy:BucketPolicy": { label: "Bucket policy", prop: "policy" },
  "aws:s3/accessPoint:AccessPoint": { label: "S3 access point", prop: "policy" },
  "aws:s3control/accessPointPolicy:AccessPointPolicy": { label: "S3 access point policy", prop: "policy" },
  "aws:s3tables/tableBucketPolicy:TableBucketPolicy": { label: "S3 table bucket policy", prop: "resourcePolicy" },
  "aws:kms/key:Key": { label: "KMS key", prop: "policy", keyPolicy: true },
  "aws:kms/keyPolicy:KeyPolicy": { label: "KMS key policy", prop: "policy", keyPolicy: true },
  "aws:kms/replicaKey:ReplicaKey": { label: "KMS replica key", prop: "policy", keyPolicy: true },
  "aws:kms/externalKey:ExternalKey": { label: "KMS key", prop: "policy", keyPolicy: true },
  "aws:kms/replicaExternalKey:ReplicaExternalKey": { label: "KMS replica key", prop: "policy", keyPolicy: true },
  "aws:secretsmanager/secret:Secret": { label: "Secret", prop: "policy" },
  "aws:secretsmanager/secretPolicy:SecretPolicy": { label: "Secret policy", prop: "policy" },
  "aws:ecr/repositoryPolicy:RepositoryPolicy": { label: "ECR repository policy", prop: "policy" },
  "aws:ecr/registryPolicy:RegistryPolicy": { label: "ECR registry policy", prop: "policy" },
  "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate": { label: "ECR repository creation template", prop: "repositoryPolicy" },
  "aws:ecrpublic/repositoryPolicy:RepositoryPolicy": { label: "ECR Public repository policy", prop: "policy" },
  "aws:sns/topic:Topic": { label: "SNS topic", prop: "policy" },
  "aws:sns/topicPolicy:TopicPolicy": { label: "SNS topic policy", prop: "policy" },
  "aws:sqs/queue:Queue": { label: "SQS queue", prop: "policy" },
  "aws:sqs/queuePolicy:QueuePolicy": { label: "SQS queue policy", prop: "policy" },
  "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": { label: "CloudWatch Logs resource policy", prop: "policyDocument" },
  "aws:cloudwatch/logDestinationPolicy:LogDestinationPolicy": { label: "CloudWatch Logs destination policy", prop: "accessPolicy" },
  "aws:cloudwatch/eventBusPolicy:EventBusPolicy": { label: "EventBridge bus policy", prop: "policy" },
  "aws:efs/fileSystemPolicy:FileSystemPolicy": { label: "EFS file system policy", prop: "policy" },
  "aws:backup/vaultPolicy:VaultPolicy": { label: "Backup vault policy", prop: "policy" },
  "aws:apigateway/restApi:RestApi": { label: "API Gateway REST API", prop: "policy" },
  "aws:apigateway/restApiPolicy:RestApiPolicy": { label: "API Gateway REST API policy", prop: "policy" },
  "aws:opensearch/domain:Domain": { label: "OpenSearch domain", prop: "accessPolicies" },
  "aws:opensearch/domainPolicy:DomainPolicy": { label: "OpenSearch domain policy", prop: "accessPolicies" },
  "aws:elasticsearch/domain:Domain": { label: "Elasticsearch domain", prop: "accessPolicies" },
  "aws:elasticsearch/domainPolicy:DomainPolicy": { label: "Elasticsearch domain policy", prop: "accessPolicies" },
  "aws:glacier/vault:Vault": { label: "Glacier vault", prop: "accessPolicy" },
  "aws:dynamodb/resourcePolicy:ResourcePolicy": { label: "DynamoDB resource policy", prop: "policy" },
  "aws:kinesis/resourcePolicy:ResourcePolicy": { label: "Kinesis resource policy", prop: "policy" },
  "aws:glue/resourcePolicy:ResourcePolicy": { label: "Glue resource policy", prop: "policy" },
  "aws:codeartifact/domainPermissions:DomainPermissions": { label: "CodeArtifact domain policy", prop: "policyDocument" },
  "aws:codeartifact/repositoryPermissionsPolicy:RepositoryPermissionsPolicy": { label: "CodeArtifact repository policy", prop: "policyDocument" },
  "aws:iam/role:Role": { label: "Role trust policy", prop: "assumeRolePolicy", trust: true },
};

const LAMBDA_PERMISSION = "aws:lambda/permission:Permission";
const LAMBDA_URL = "aws:lambda/functionUrl:FunctionUrl";
const LAMBDA_LAYER = "aws:lambda/layerVersionPermission:LayerVersionPermission";
export const LAMBDA_SITES = [LAMBDA_PERMISSION, LAMBDA_URL, LAMBDA_LAYER];

const str = (props: Props, key: string): string | undefined => known(() => asString(props[key]))?.trim() || undefined;

function statement(id: string, action: string, principal: string, conditions: Condition[]): Statement {
  const p = principal === "*" ? { kind: "*" as const, value: "*" } : /^\d{12}$/.test(principal) || principal.startsWith("arn:") ? { kind: "AWS" as const, value: principal } : { kind: "Service" as const, value: principal };
  return { id, effect: "Allow", actions: [action], resources: [], principals: [p], conditions };
}

/** Lambda's permission resources as the statements they add to the function or layer policy. */
function lambdaStatements(type: string, props: Props): Statement[] {
  if (type === LAMBDA_URL) {
    // An unauthenticated function URL: anyone on the internet can invoke it.
    return str(props, "authorizationType") === "NONE" ? [statement("authorizationType NONE", "lambda:InvokeFunctionUrl", "*", [])] : [];
  }
  const principal = str(props, "principal");
  if (!principal) return [];
  const action = str(props, "action") ?? (type === LAMBDA_LAYER ? "lambda:GetLayerVersion" : "lambda:InvokeFunction");
  const conditions: Condition[] = [];
  const add = (operator: string, key: string, value: string | undefined): void => {
    if (value) conditions.push({ operator, key, values: [value] });
  };
  add("StringEquals", "aws:sourceaccount", str(props, "sourceAccount"));
  add("ArnLike", "aws:sourcearn", str(props, "sourceArn"));
  add("StringEquals", "aws:principalorgid", str(props, type === LAMBDA_LAYER ? "organizationId" : "principalOrgId"));
  if (type === LAMBDA_PERMISSION && str(props, "functionUrlAuthType") === "NONE") return [statement("functionUrlAuthType NONE", action, "*", [])];
  return [statement("permission", action, principal, conditions)];
}

/** The label of a Lambda permission resource for messages. */
function lambdaLabel(type: string): string {
  return type === LAMBDA_URL ? "Lambda function URL" : type === LAMBDA_LAYER ? "Lambda layer permission" : "Lambda permission";
}

/**
 * Every policy-carrying resource of the stack with its statements. A document still unknown
 * (preview) is skipped: it is judged on the run that knows it.
 */
export function policySites(resources: PolicyResource[]): PolicySite[] {
  const sites: PolicySite[] = [];
  for (const r of resources) {
    const kind = POLICY_SITES[r.type];
    if (kind) {
      const doc = known(() => r.props[kind.prop]);
      if (doc === undefined || doc === null || doc === "") continue;
      sites.push({ resource: r, label: kind.label, trust: kind.trust === true, keyPolicy: kind.keyPolicy === true, statements: statementsOf(doc) });
    } else if (LAMBDA_SITES.includes(r.type)) {
      sites.push({ resource: r, label: lambdaLabel(r.type), trust: false, keyPolicy: false, statements: lambdaStatements(r.type, r.props) });
    }
  }
  return sites;
}

/** The 12-digit accounts the stack's own resources live in, read from their ARNs. */
export function accountsOfStack(resources: PolicyResource[]): Set<string> {
  const out = new Set<string>();
  for (const r of resources) {
    const arn = known(() => asString(r.props.arn));
    const account = arn ? /^arn:aws[a-z-]*:[^:]*:[^:]*:(\d{12}):/.exec(arn)?.[1] : undefined;
    if (account) out.add(account);
  }
  return out;
}
