/**
 * Pulumi type tokens the packs look at, with every spelling a resource may carry: AWS provider
 * v7 renamed BucketV2 to Bucket (both exist), the split S3 resources have V2 twins, and `aws:alb`
 * is an alias of `aws:lb`. Checked against `__pulumiType` in node_modules/@pulumi/aws.
 */
export const T = {
  bucket: ["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"],
  publicAccessBlock: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
  sse: [
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
  ],
  versioning: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
  ownershipControls: ["aws:s3/bucketOwnershipControls:BucketOwnershipControls"],
  bucketPolicy: ["aws:s3/bucketPolicy:BucketPolicy"],
  lifecycle: [
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
  ],
  logging: ["aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"],
  objectLock: [
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2",
  ],
  bucketAcl: ["aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"],
  ecrRepository: ["aws:ecr/repository:Repository"],
  taskDefinition: ["aws:ecs/taskDefinition:TaskDefinition"],
  ecsService: ["aws:ecs/service:Service"],
  iamPolicyDocument: [
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/groupPolicy:GroupPolicy",
    "aws:iam/userPolicy:UserPolicy",
  ],
  iamRole: ["aws:iam/role:Role"],
  iamUserPolicy: ["aws:iam/userPolicy:UserPolicy", "aws:iam/userPolicyAttachment:UserPolicyAttachment"],
  iamPolicyAttachment: ["aws:iam/policyAttachment:PolicyAttachment"],
  /** Where a managed policy gets attached to a principal. */
  iamManagedAttachment: ["aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/groupPolicyAttachment:GroupPolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment", "aws:iam/policyAttachment:PolicyAttachment"],
  kmsKey: ["aws:kms/key:Key"],
  securityGroup: ["aws:ec2/securityGroup:SecurityGroup"],
  securityGroupRule: ["aws:ec2/securityGroupRule:SecurityGroupRule"],
  securityGroupIngressRule: ["aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"],
  listener: ["aws:lb/listener:Listener", "aws:alb/listener:Listener"],
  loadBalancer: ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"],
  logGroup: ["aws:cloudwatch/logGroup:LogGroup"],
  secret: ["aws:secretsmanager/secret:Secret"],
  rdsInstance: ["aws:rds/instance:Instance"],
  rdsCluster: ["aws:rds/cluster:Cluster"],
  rdsClusterInstance: ["aws:rds/clusterInstance:ClusterInstance"],
  command: ["command:local:Command"],
} as const satisfies Record<string, readonly string[]>;

export type TypeGroup = (typeof T)[keyof typeof T];

export function isOneOf(type: string, group: readonly string[]): boolean {
  return group.includes(type);
}
