/**
 * What the cloud would answer, offline: ids, ARNs, URLs and digests computed deterministically
 * from each resource's type, name and inputs. Inputs pass through unchanged (they are what the
 * graph records and what the policies judge); only provider-computed outputs are invented here.
 * An unmocked function call is an error, so a new data source cannot silently return nothing.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

export const MOCK_ACCOUNT_ID = "123456789012";

function hash(...parts: unknown[]): string {
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex");
}

type State = Record<string, unknown>;

/** Mimics Pulumi auto-naming: the logical name plus a stable 7-character suffix. */
function autoName(name: string, type: string): string {
  return `${name}-${hash(type, name).slice(0, 7)}`;
}

export class OfflineMocks implements pulumi.runtime.Mocks {
  constructor(private readonly region: string) {}

  newResource(args: pulumi.runtime.MockResourceArgs): { id: string; state: State } {
    const inputs = args.inputs as State;
    const fallbackId = args.id || `${args.name}-${hash(args.type, args.name).slice(0, 8)}`;
    const state: State = { ...inputs, ...this.computed(args.type, args.name, inputs, fallbackId) };
    // Some resources' ids have a shape of their own (sg-..., bucket names); the state says which.
    const id = typeof state.id === "string" ? state.id : fallbackId;
    return { id, state: { ...state, id } };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const inputs = args.inputs as State;
    switch (args.token) {
      case "aws:index/getCallerIdentity:getCallerIdentity":
        return { accountId: MOCK_ACCOUNT_ID, arn: `arn:aws:iam::${MOCK_ACCOUNT_ID}:user/offline-preview`, userId: "AIDAOFFLINEPREVIEW", id: MOCK_ACCOUNT_ID };
      case "aws:index/getRegion:getRegion":
        return { name: this.region, region: this.region, id: this.region, description: this.region, endpoint: `ec2.${this.region}.amazonaws.com` };
      case "aws:index/getPartition:getPartition":
        return { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws", reverseDnsPrefix: "com.amazonaws" };
      case "aws:ecr/getAuthorizationToken:getAuthorizationToken":
        return { id: this.region, authorizationToken: "offline-preview", userName: "AWS", password: "offline-preview", proxyEndpoint: `https://${MOCK_ACCOUNT_ID}.dkr.ecr.${this.region}.amazonaws.com`, expiresAt: "1970-01-01T00:00:00Z" };
      case "aws:elb/getServiceAccount:getServiceAccount":
        return { id: "054676820928", arn: "arn:aws:iam::054676820928:root" };
      case "pagerduty:index/getUser:getUser": {
        const email = String(inputs.email ?? "");
        return { id: `P${hash(email).slice(0, 6).toUpperCase()}`, email, name: email.split("@")[0] ?? email };
      }
      case "pagerduty:index/getVendor:getVendor": {
        const vendorName = String(inputs.name ?? "");
        return { id: `PV${hash(vendorName).slice(0, 5).toUpperCase()}`, name: vendorName, type: "generic_events_api_inbound_integration" };
      }
      default:
        throw new Error(`offline preview: no mock for function ${args.token}; add one to infra/preview/mocks.ts`);
    }
  }

  private computed(type: string, name: string, inputs: State, id: string): State {
    const region = this.region;
    const account = MOCK_ACCOUNT_ID;
    const str = (k: string): string | undefined => (typeof inputs[k] === "string" ? (inputs[k] as string) : undefined);
    const physical = str("name") ?? autoName(name, type);
    const svc = type.split(":")[1]?.split("/")[0] ?? "unknown";
    const base: State = { id, arn: `arn:aws:${svc}:${region}:${account}:${name}/${id}`, tagsAll: inputs.tags ?? {} };
    switch (type) {
      case "aws:kms/key:Key":
        return { ...base, keyId: id, arn: `arn:aws:kms:${region}:${account}:key/${hash(name).slice(0, 8)}-0000-4000-8000-${hash(name).slice(8, 20)}` };
      case "aws:kms/alias:Alias":
        return { ...base, arn: `arn:aws:kms:${region}:${account}:${str("name") ?? name}` };
      case "aws:ecr/repository:Repository":
        return { ...base, name: physical, arn: `arn:aws:ecr:${region}:${account}:repository/${physical}`, registryId: account, repositoryUrl: `${account}.dkr.ecr.${region}.amazonaws.com/${physical}` };
      case "docker:index/image:Image": {
        const imageName = str("imageName") ?? name;
        const repo = imageName.replace(/:[^/:]+$/, "");
        return { ...base, imageName, repoDigest: `${repo}@sha256:${hash(type, name, inputs.build ?? null, imageName)}`, baseImageName: imageName };
      }
      case "docker:index/remoteImage:RemoteImage":
        return { ...base, repoDigest: inputs.name, imageId: `sha256:${hash(type, inputs.name).slice(0, 64)}` };
      case "docker:index/tag:Tag":
        return { ...base, sourceImageId: `sha256:${hash(type, inputs.sourceImage).slice(0, 64)}` };
      case "docker:index/registryImage:RegistryImage":
        // A push of a pulled image keeps its manifest, so its digest is the one that triggered it.
        return { ...base, sha256Digest: (inputs.triggers as Record<string, unknown> | undefined)?.digest ?? `sha256:${hash(type, name)}` };
      case "aws:lb/loadBalancer:LoadBalancer":
      case "aws:alb/loadBalancer:LoadBalancer":
        return { ...base, name: physical, arn: `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/${physical}/${hash(name).slice(0, 16)}`, arnSuffix: `app/${physical}/${hash(name).slice(0, 16)}`, dnsName: `${physical}-${hash(name).slice(0, 9)}.${region}.elb.amazonaws.com`, zoneId: "Z215JYRZR1TBD5" };
      case "aws:lb/targetGroup:TargetGroup":
      case "aws:alb/targetGroup:TargetGroup":
        return { ...base, name: physical, arn: `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/${physical}/${hash(name).slice(0, 16)}`, arnSuffix: `targetgroup/${physical}/${hash(name).slice(0, 16)}` };
      case "aws:lb/listener:Listener":
      case "aws:alb/listener:Listener":
        return { ...base, arn: `arn:aws:elasticloadbalancing:${region}:${account}:listener/app/${name}/${hash(name).slice(0, 16)}` };
      case "aws:rds/instance:Instance": {
        const identifier = str("identifier") ?? physical;
        const address = `${identifier}.c${hash(name).slice(0, 10)}.${region}.rds.amazonaws.com`;
        return {
          ...base,
          identifier,
          arn: `arn:aws:rds:${region}:${account}:db:${identifier}`,
          address,
          endpoint: `${address}:5432`,
          port: 5432,
          resourceId: `db-${hash(name).slice(0, 26).toUpperCase()}`,
          masterUserSecrets: [{ kmsKeyId: String(inputs.masterUserSecretKmsKeyId ?? ""), secretArn: `arn:aws:secretsmanager:${region}:${account}:secret:rds!db-${hash(name).slice(0, 8)}-AbCdEf`, secretStatus: "active" }],
        };
      }
      case "aws:rds/parameterGroup:ParameterGroup":
      case "aws:rds/subnetGroup:SubnetGroup":
        return { ...base, name: physical, arn: `arn:aws:rds:${region}:${account}:${svc}:${physical}` };
      case "aws:ecs/cluster:Cluster":
        return { ...base, name: physical, arn: `arn:aws:ecs:${region}:${account}:cluster/${physical}` };
      case "aws:ecs/taskDefinition:TaskDefinition":
        return { ...base, arn: `arn:aws:ecs:${region}:${account}:task-definition/${str("family") ?? name}:1`, arnWithoutRevision: `arn:aws:ecs:${region}:${account}:task-definition/${str("family") ?? name}`, revision: 1 };
      case "aws:ecs/service:Service":
        return { ...base, name: physical };
      case "aws:s3/bucket:Bucket":
      case "aws:s3/bucketV2:BucketV2": {
        const bucket = str("bucket") ?? autoName(name, type);
        return { ...base, id: bucket, bucket, arn: `arn:aws:s3:::${bucket}`, bucketDomainName: `${bucket}.s3.amazonaws.com`, bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com`, region };
      }
      case "aws:secretsmanager/secret:Secret": {
        // A secret's id is its ARN in the provider.
        const arn = `arn:aws:secretsmanager:${region}:${account}:secret:${physical}-${hash(name).slice(0, 6)}`;
        return { ...base, id: arn, name: physical, arn };
      }
      case "aws:secretsmanager/secretVersion:SecretVersion":
        return { ...base, id: `${String(inputs.secretId)}|${hash(name).slice(0, 8)}`, arn: inputs.secretId, secretArn: inputs.secretId, versionId: hash(name).slice(0, 32), versionStages: ["AWSCURRENT"] };
      case "aws:cloudwatch/logGroup:LogGroup":
        return { ...base, name: physical, arn: `arn:aws:logs:${region}:${account}:log-group:${physical}` };
      case "aws:iam/role:Role":
        return { ...base, name: physical, arn: `arn:aws:iam::${account}:role/${physical}`, uniqueId: `AROA${hash(name).slice(0, 17).toUpperCase()}` };
      case "aws:iam/policy:Policy":
        return { ...base, name: physical, arn: `arn:aws:iam::${account}:policy/${physical}` };
      case "aws:ec2/securityGroup:SecurityGroup":
        return { ...base, name: physical, arn: `arn:aws:ec2:${region}:${account}:security-group/sg-${hash(name).slice(0, 17)}`, id: `sg-${hash(name).slice(0, 17)}` };
      case "aws:appautoscaling/target:Target":
        return { ...base, arn: `arn:aws:application-autoscaling:${region}:${account}:scalable-target/${hash(name).slice(0, 24)}` };
      case "command:local:Command":
        return { stdout: "", stderr: "" };
      case "aws:acm/certificate:Certificate": {
        const domainName = str("domainName") ?? name;
        const token = hash(type, domainName);
        return {
          ...base,
          arn: `arn:aws:acm:${region}:${account}:certificate/${token.slice(0, 8)}-${token.slice(8, 12)}-4${token.slice(13, 16)}-8${token.slice(17, 20)}-${token.slice(20, 32)}`,
          domainName,
          status: "PENDING_VALIDATION",
          // What ACM asks for DNS validation: a CNAME under the name itself.
          domainValidationOptions: [{ domainName, resourceRecordName: `_${token.slice(32, 64)}.${domainName}.`, resourceRecordType: "CNAME", resourceRecordValue: `_${token.slice(0, 32)}.acm-validations.aws.` }],
        };
      }
      case "aws:acm/certificateValidation:CertificateValidation":
        return { ...base, certificateArn: inputs.certificateArn };
      case "aws:route53/record:Record":
        return { ...base, id: `${String(inputs.zoneId)}_${String(inputs.name)}_${String(inputs.type)}`, fqdn: String(inputs.name ?? name).replace(/\.$/, "") };
      case "random:index/randomId:RandomId":
        return { id: hash(type, name).slice(0, 8), hex: hash(type, name, inputs.keepers ?? null).slice(0, Number(inputs.byteLength ?? 4) * 2), b64Url: hash(type, name).slice(0, 6) };
      case "aws:lambda/permission:Permission":
        return { ...base, statementId: autoName(name, type) };
      case "aws:s3/bucketObjectv2:BucketObjectv2": {
        // What S3 answers for a PUT: a version id, and the SHA-256 of the body it received.
        const body = typeof inputs.contentBase64 === "string" ? Buffer.from(inputs.contentBase64, "base64") : Buffer.from(str("content") ?? "");
        return { ...base, versionId: hash(name, inputs.key).slice(0, 32), checksumSha256: createHash("sha256").update(body).digest("base64") };
      }
      default:
        return base;
    }
  }
}
